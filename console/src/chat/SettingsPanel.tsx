import { useEffect, useState } from 'react';
import type { Model, Sampling } from '../api/types';
import type { ChatSettings } from './useChat';

const RANGES = {
  temperature: { min: 0, max: 2, step: 0.1, integer: false, label: 'Temperature' },
  top_p: { min: 0.01, max: 1, step: 0.05, integer: false, label: 'Top p' },
  max_tokens: { min: 1, max: 1_000_000, step: 1, integer: true, label: 'Max tokens' },
} as const;

type Field = keyof typeof RANGES;

/** A blank field means "the server's default"; out-of-range values are refused here, not sent. */
function parseField(field: Field, raw: string): { value: number | null } | { error: string } {
  if (raw.trim() === '') return { value: null };
  const n = Number(raw);
  const r = RANGES[field];
  if (!Number.isFinite(n) || n < r.min || n > r.max || (r.integer && !Number.isInteger(n))) {
    return { error: `${r.label} must be ${r.integer ? 'a whole number' : 'a number'} from ${r.min} to ${r.max}.` };
  }
  return { value: n };
}

/** System prompt and sampling settings, saved on the conversation when a field is left. */
export function SettingsPanel({ settings, onSave }: { settings: ChatSettings; onSave(next: ChatSettings): void }) {
  const [system, setSystem] = useState(settings.system_prompt ?? '');
  const [fields, setFields] = useState<Record<Field, string>>(() => toFields(settings.settings));
  const [error, setError] = useState<string | null>(null);
  const saved = JSON.stringify(settings.settings);
  useEffect(() => {
    setSystem(settings.system_prompt ?? '');
    setFields(toFields(JSON.parse(saved) as Sampling));
  }, [settings.system_prompt, saved]);

  const commit = () => {
    const sampling: Sampling = {};
    for (const field of Object.keys(RANGES) as Field[]) {
      const parsed = parseField(field, fields[field]);
      if ('error' in parsed) return setError(parsed.error);
      if (parsed.value !== null) sampling[field] = parsed.value;
    }
    setError(null);
    const systemPrompt = system.trim() ? system : null;
    if (systemPrompt === settings.system_prompt && JSON.stringify(sampling) === JSON.stringify(settings.settings)) return;
    onSave({ ...settings, system_prompt: systemPrompt, settings: sampling });
  };

  return (
    <section className="settings" aria-label="Chat settings">
      <label className="wide">
        System prompt
        <textarea rows={2} value={system} onChange={(e) => setSystem(e.target.value)} onBlur={commit} placeholder="You are a helpful assistant." />
      </label>
      <div className="settings-row">
        {(Object.keys(RANGES) as Field[]).map((field) => (
          <label key={field}>
            {RANGES[field].label}
            <input
              type="number"
              inputMode="decimal"
              min={RANGES[field].min}
              max={RANGES[field].max}
              step={RANGES[field].step}
              placeholder="default"
              value={fields[field]}
              onChange={(e) => setFields({ ...fields, [field]: e.target.value })}
              onBlur={commit}
            />
          </label>
        ))}
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
    </section>
  );
}

const toFields = (s: Sampling): Record<Field, string> => ({
  temperature: s.temperature?.toString() ?? '',
  top_p: s.top_p?.toString() ?? '',
  max_tokens: s.max_tokens?.toString() ?? '',
});

/** The model picker; test models with random weights are marked, since their output is noise. */
export function ModelPicker({ models, value, onChange }: { models: Model[]; value: string | null; onChange(model: string): void }) {
  const known = models.some((m) => m.id === value);
  return (
    <select aria-label="Model" value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
      {!value && <option value="">Pick a model</option>}
      {value && !known && <option value={value}>{value} (not loaded)</option>}
      {models.map((m) => (
        <option key={m.id} value={m.id}>
          {m.id}
          {m.tessera?.random_weights ? ' (random weights — test only)' : ''}
        </option>
      ))}
    </select>
  );
}
