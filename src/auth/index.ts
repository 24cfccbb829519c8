/** API tokens and who may do what. */
export {
  createApiToken,
  ensureAdminToken,
  authenticate,
  listApiTokens,
  revokeApiToken,
  hashToken,
  isRole,
  ROLES,
  type TokenSummary,
  type CreateTokenInput,
} from './tokens.ts';
export { actionsOf, can, authorize, type Action } from './policy.ts';
