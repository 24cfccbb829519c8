/** The public status page: components, incidents with their public updates only, scheduled maintenances. */
export { StatusPage, type StatusPageOptions } from './page.ts';
export { STATUS_DOCUMENTS, type RenderedDocument, type StatusDocumentName } from './documents.ts';
export {
  setComponentStatus,
  componentSettings,
  scheduleMaintenance,
  listMaintenances,
  cancelMaintenance,
  STATUS_CHANGED_EVENT,
  type ComponentSetting,
  type Maintenance,
} from './manage.ts';
export { SetComponentInput, ScheduleMaintenanceInput } from './schemas.ts';
export {
  SubscribeInput,
  subscribe,
  confirmSubscription,
  unsubscribe,
  tokenIsLive,
  listSubscribers,
  removeSubscriber,
  subscriptionChannel,
  statusHooks,
  CONFIRM_PATH,
  UNSUBSCRIBE_PATH,
  type TokenKind,
} from './subscribers.ts';
export { renderNotice } from './html.ts';
export { StatusPageSettings } from './settings.ts';
export { COMPONENT_STATUSES, type ComponentStatus, type MaintenanceStatus } from './model.ts';
