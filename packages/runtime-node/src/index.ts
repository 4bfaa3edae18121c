export * from './contracts.js';
export { parseSettings, parseDuration, parseSize, formatHelp, ConfigError } from './config/settings.js';
export type { SettingSpec, SettingType, ParsedSettings } from './config/settings.js';
