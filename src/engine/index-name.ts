/** The persisted index's file name, by format version (its own module: the CLI's entry needs only this). */
export const indexVersion = 1;
export const indexFileName = `index-v${indexVersion}.json`;
