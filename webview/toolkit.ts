/**
 * The only file that knows about @vscode/webview-ui-toolkit (its upstream is archived): swapping
 * to another web-component set means changing this file. Components take data as properties and
 * text, never HTML.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeDivider, vsCodeDropdown, vsCodeOption, vsCodeTag } from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodeDivider(), vsCodeTag());
  registered = true;
}

export interface Choice {
  value: string;
  label: string;
}

/** A labelled dropdown; `onChange` gets the chosen value. */
export function dropdown(id: string, label: string, choices: readonly Choice[], selected: string, onChange: (value: string) => void): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  const dd = document.createElement('vscode-dropdown');
  dd.id = id;
  dd.setAttribute('aria-label', label);
  for (const c of choices) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', c.value);
    o.textContent = c.label;
    if (c.value === selected) o.setAttribute('selected', '');
    dd.appendChild(o);
  }
  dd.addEventListener('change', () => onChange((dd as HTMLElement & { value: string }).value));
  wrap.append(l, dd);
  return wrap;
}

export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', appearance);
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

export function tag(text: string): HTMLElement {
  const t = document.createElement('vscode-tag');
  t.textContent = text;
  return t;
}

export function divider(): HTMLElement {
  const d = document.createElement('vscode-divider');
  d.setAttribute('role', 'separator');
  return d;
}
