/** The two forms of the training section: start a retraining with options, and the
 * retraining policy (stored in the project's settings). */
import { useState } from "preact/hooks";
import type { TrainingForm } from "../../core/adminCharts";
import type { AutoRetrain, Backbone, ProjectSettings, PromotePolicy } from "../../core/adminTypes";
import type { ProjectRead } from "../../core/types";
import { errorText } from "../api";
import { admin } from "./common";

const BACKBONES: { value: Backbone | ""; label: string }[] = [
  { value: "", label: "worker default" },
  { value: "efficientnet_lite0", label: "EfficientNet-Lite0" },
  { value: "hrnet_w18_small", label: "HRNet-W18 small" },
  { value: "hrnet_w32", label: "HRNet-W32" },
];

export function StartForm({
  busy,
  onStart,
}: {
  busy: boolean;
  onStart: (f: TrainingForm) => Promise<void>;
}) {
  const [form, setForm] = useState<TrainingForm>({
    backbone: "",
    inputSize: "",
    maxSteps: "",
    maxMinutes: "",
    batchSize: "",
    semiSupervised: true,
  });
  const [sending, setSending] = useState(false);
  const set = <K extends keyof TrainingForm>(key: K, value: TrainingForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    await onStart(form);
    setSending(false);
  };
  return (
    <form class="form-grid" onSubmit={(e) => void submit(e)} aria-label="Retrain">
      <label>
        Backbone
        <select
          value={form.backbone}
          onChange={(e) => set("backbone", e.currentTarget.value as Backbone | "")}
        >
          {BACKBONES.map((b) => (
            <option key={b.value} value={b.value}>
              {b.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Input size (px)
        <select value={form.inputSize} onChange={(e) => set("inputSize", e.currentTarget.value)}>
          <option value="">default</option>
          {[64, 128, 192, 256, 320, 384].map((s) => (
            <option key={s} value={String(s)}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Max steps
        <input
          type="number"
          min={1}
          placeholder="default"
          value={form.maxSteps}
          onInput={(e) => set("maxSteps", e.currentTarget.value)}
        />
      </label>
      <label>
        Max minutes
        <input
          type="number"
          min={0.1}
          step={0.1}
          placeholder="default"
          value={form.maxMinutes}
          onInput={(e) => set("maxMinutes", e.currentTarget.value)}
        />
      </label>
      <label>
        Batch size
        <input
          type="number"
          min={2}
          placeholder="default"
          value={form.batchSize}
          onInput={(e) => set("batchSize", e.currentTarget.value)}
        />
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={form.semiSupervised}
          onChange={(e) => set("semiSupervised", e.currentTarget.checked)}
        />
        Semi-supervised (use unlabeled images)
      </label>
      <div>
        <button
          type="submit"
          class="primary"
          disabled={sending || busy}
          title={busy ? "a training job is already queued or running" : undefined}
        >
          Start retraining
        </button>
      </div>
    </form>
  );
}

export function PolicyForm({
  project,
  onSaved,
}: {
  project: ProjectRead;
  onSaved: (p: ProjectRead) => void;
}) {
  const settings = project.settings as unknown as ProjectSettings;
  const [threshold, setThreshold] = useState(String(settings.retrain_threshold));
  const [auto, setAuto] = useState<AutoRetrain>(settings.auto_retrain);
  const [policy, setPolicy] = useState<PromotePolicy>(settings.promote_policy);
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    try {
      const updated = await admin.updateSettings(project.id, {
        ...settings,
        retrain_threshold: Number.parseInt(threshold, 10),
        auto_retrain: auto,
        promote_policy: policy,
      });
      onSaved(updated);
      setStatus("Saved.");
    } catch (err) {
      setStatus(`Not saved: ${errorText(err)}`);
    }
  };
  return (
    <form class="form-grid" onSubmit={(e) => void save(e)} aria-label="Retraining policy">
      <label>
        Retrain automatically
        <select value={auto} onChange={(e) => setAuto(e.currentTarget.value as AutoRetrain)}>
          <option value="once_a_model_exists">once a model exists</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      </label>
      <label>
        after this many newly annotated images
        <input
          type="number"
          min={0}
          required
          value={threshold}
          disabled={auto === "off"}
          onInput={(e) => setThreshold(e.currentTarget.value)}
        />
      </label>
      <p class="muted wide">{policyText(auto, Number.parseInt(threshold, 10))}</p>
      <label>
        Promote a new version
        <select value={policy} onChange={(e) => setPolicy(e.currentTarget.value as PromotePolicy)}>
          <option value="not_worse">if PCK is not worse</option>
          <option value="always">always</option>
          <option value="manual">only by hand</option>
        </select>
      </label>
      <div>
        <button type="submit">Save policy</button>{" "}
        {status && (
          <span role="status" class="muted">
            {status}
          </span>
        )}
      </div>
    </form>
  );
}

/** What the policy does, in words (imports never count as new annotations). */
export function policyText(auto: AutoRetrain, threshold: number): string {
  if (auto === "off" || threshold === 0) return "Training starts only when an admin starts it.";
  const when = `after every ${threshold} images annotated in the editor (imports do not count)`;
  return auto === "on"
    ? `Retrains ${when}.`
    : `Retrains ${when}, once a first model exists; until then only by hand.`;
}
