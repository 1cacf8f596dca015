export type JsonObject = { [key: string]: unknown };

/** How a generated document is written to disk: pretty, with a trailing newline. */
export const serializeDocument = (document: JsonObject): string => `${JSON.stringify(document, null, 2)}\n`;
