import type { ChangeMode } from '../../context/useLivePreviewSession';
import type { ConfigValue } from '../../types/configSchema';

/** What every control gets: its value, how to change it, and the ids of its hint/error text. */
export interface ControlProps<C, V extends ConfigValue = ConfigValue> {
  control: C;
  id: string;
  value: V;
  onChange(value: V, mode?: ChangeMode): void;
  invalid: boolean;
  describedBy: string | undefined;
}
