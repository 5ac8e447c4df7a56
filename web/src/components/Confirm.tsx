import { ComponentChildren } from "preact";

// A modal question: nothing in the registry changes until the person says so.
export function Confirm(props: { title: string; children: ComponentChildren; onYes: () => void; onNo: () => void }) {
  return (
    <div class="modal-backdrop" role="dialog" aria-modal="true" aria-label={props.title}>
      <div class="modal">
        <h3>{props.title}</h3>
        <div>{props.children}</div>
        <div class="actions">
          <button class="secondary" onClick={props.onNo}>Cancel</button>
          <button class="primary" onClick={props.onYes}>Confirm</button>
        </div>
      </div>
    </div>
  );
}
