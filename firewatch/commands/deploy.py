"""`firewatch deploy`: generate what the deployment files mount but the repository never holds.

`secrets DIR`: passwords, tokens, Mosquitto's password file, TLS CA and broker certificate,
the audit HMAC key (firewatch.deploy_secrets). `bridges OUT`: which ingest bridge carries which
compounds of the registry (firewatch.bridge_plan).
"""

from __future__ import annotations

from pathlib import Path

import click

from firewatch.commands.common import CONTEXT_SETTINGS
from firewatch.commands.failures import InputError, UsageError


@click.group(
    "deploy",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch deploy secrets deploy/secrets\n"
    "  firewatch deploy bridges --registry deploy/registry deploy/bridges",
)
def command() -> None:
    """Generate the secrets and the bridge plan that deploy/ mounts."""


@command.command(
    "secrets",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch deploy secrets deploy/secrets\n"
    "  firewatch deploy secrets deploy/secrets --server-name mosquitto"
    " --server-name mqtt.example.org",
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--deploy-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("deploy"),
    help="The deploy/ folder whose compose file and examples name the secrets.",
)
@click.option(
    "--server-name",
    multiple=True,
    default=("mosquitto",),
    help="Host name or IP address in the broker certificate (repeatable; first = CN).",
)
def secrets_command(directory: Path, deploy_dir: Path, server_name: tuple[str, ...]) -> int:
    """Create (or complete: existing values are kept) every secret of the deployment."""
    from firewatch.deploy_secrets import SecretsError, generate

    if not (deploy_dir / "compose.yaml").is_file():
        raise InputError(f"{deploy_dir}/compose.yaml not found: pass --deploy-dir")
    try:
        done = generate(directory, deploy_dir, list(server_name))
    except SecretsError as exc:
        raise InputError(str(exc)) from None
    print(f"secrets in {done.directory} (0700; never commit them):")
    print(f"  compose.env            {', '.join(done.env_keys)}")
    print(f"  mosquitto/passwd       {', '.join(done.mqtt_users)}")
    print(f"  certs/                 ca.crt, server.crt, server.key for {', '.join(server_name)}")
    print("  audit.key              the audit chain's HMAC keyring")
    print(f"  k8s/firewatch-secrets.env  {', '.join(done.k8s_keys)}")
    return 0


@command.command(
    "bridges",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch deploy bridges --registry deploy/registry deploy/bridges\n"
    "  firewatch deploy bridges --registry registry/ --bridge firewatch-ingest-0"
    " --bridge firewatch-ingest-1 bridges/",
)
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--registry",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The dispatch registry: its compounds are what the bridges share.",
)
@click.option(
    "--bridge",
    "bridges",
    multiple=True,
    default=("ingest-1", "ingest-2"),
    help="A bridge id (repeatable): the compose services, or the StatefulSet's pod names.",
)
def bridges_command(out: Path, registry: Path, bridges: tuple[str, ...]) -> int:
    """Give every compound of the registry to exactly one bridge; one file per bridge."""
    from alerts.errors import DispatchError
    from alerts.registry import load_registry
    from firewatch.bridge_plan import PlanError, plan_bridges, write_plan

    try:
        compounds = [c.compound_id for c in load_registry(registry).compounds]
    except DispatchError as exc:
        raise InputError(f"registry invalid: {exc}") from None
    try:
        plan = plan_bridges(compounds, bridges)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    for path in write_plan(plan, out):
        print(f"{path}: {', '.join(plan.assignments[path.name])}")
    return 0
