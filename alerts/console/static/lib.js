// The one place that imports the vendored libraries (vendor/VENDOR.md): Preact renders every
// value as a text node or a property, never as markup, so fields stay text (issue 12).
import { h, render } from "./vendor/preact.module.js";
import { useEffect, useMemo, useRef, useState } from "./vendor/hooks.module.js";
import htm from "./vendor/htm.module.js";

export const html = htm.bind(h);
export { render, useEffect, useMemo, useRef, useState };
