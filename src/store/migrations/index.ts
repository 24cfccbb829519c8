import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.ts';
import * as foundation from './0001_foundation.ts';
import * as alerts from './0002_alerts.ts';
import * as paging from './0003_paging.ts';
import * as runbooks from './0004_runbooks.ts';
import * as status from './0005_status.ts';
import * as postincident from './0006_postincident.ts';
import * as subscribers from './0007_subscribers.ts';
import * as accounts from './0008_accounts.ts';
import * as timelineKinds from './0009_timeline_kinds.ts';

export interface Migration {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see 0001
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** Forward-only, in order, for both engines. Append; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  { name: '0001_foundation', up: foundation.up },
  { name: '0002_alerts', up: alerts.up },
  { name: '0003_paging', up: paging.up },
  { name: '0004_runbooks', up: runbooks.up },
  { name: '0005_status', up: status.up },
  { name: '0006_postincident', up: postincident.up },
  { name: '0007_subscribers', up: subscribers.up },
  { name: '0008_accounts', up: accounts.up },
  { name: '0009_timeline_kinds', up: timelineKinds.up },
];
