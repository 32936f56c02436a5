"""One module per sub-command; each defines a Click `command` (listed in firewatch/cli.py).

Modules import only Click at the top: what a command needs is imported when it runs.
"""
