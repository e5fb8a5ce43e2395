/**
 * The cost panel's webview entry: says `ready`, validates every message from the host with zod,
 * renders complete snapshots, keeps the scope with setState for restore, acknowledges renders.
 */
import { panelPersistedSchema, toPanelSchema, type FromPanel, type PanelPersisted } from '../src/protocol/panel-messages';
import { registerToolkit } from './toolkit';
import { render, renderError } from './view';

interface VsCodeApi {
  postMessage(msg: FromPanel): void;
  getState(): unknown;
  setState(state: PanelPersisted): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
registerToolkit();

const restored = panelPersistedSchema.safeParse(vscode.getState());
if (restored.success) vscode.postMessage({ type: 'setScope', scope: restored.data.scope });

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toPanelSchema.safeParse(event.data);
  if (!parsed.success || !root) {
    console.warn('Taximeter: ignored an invalid message', parsed.success ? '' : parsed.error.issues[0]?.message);
    return;
  }
  const msg = parsed.data;
  switch (msg.type) {
    case 'state':
      render(root, msg.state, {
        setScope: (scope) => vscode.postMessage({ type: 'setScope', scope }),
        openLog: () => vscode.postMessage({ type: 'openLog' }),
        openSettings: () => vscode.postMessage({ type: 'openSettings' }),
        exportReport: (taskId) => vscode.postMessage(taskId ? { type: 'exportReport', taskId } : { type: 'exportReport' }),
        taskCommand: (command) => vscode.postMessage({ type: 'taskCommand', command }),
      });
      vscode.setState({ scope: msg.state.scope });
      vscode.postMessage({ type: 'didRender', version: msg.version });
      break;
    case 'error':
      renderError(root, msg.message);
      break;
  }
});

vscode.postMessage({ type: 'ready' });
