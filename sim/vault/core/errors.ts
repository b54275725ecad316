/**
 * Vault's error responses: `{"errors":[...]}` with its status codes. Logical errors that Vault wraps in a Go
 * multierror are printed the way Vault prints them ("1 error occurred:\n\t* permission denied\n\n").
 */
export class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join("; "));
    this.name = "VaultHttpError";
  }
}

/** hashicorp/go-multierror's default format. */
export function multierror(messages: string[]): string {
  const head = messages.length === 1 ? "1 error occurred:" : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

export const permissionDenied = (): VaultHttpError =>
  new VaultHttpError(403, [multierror(["permission denied"])]);

export const invalidToken = (): VaultHttpError =>
  new VaultHttpError(403, [multierror(["permission denied", "invalid token"])]);

export const unsupportedPath = (): VaultHttpError =>
  new VaultHttpError(404, [multierror(["unsupported path"])]);

export const unsupportedOperation = (): VaultHttpError =>
  new VaultHttpError(405, [multierror(["unsupported operation"])]);

export const noHandler = (path: string): VaultHttpError =>
  new VaultHttpError(404, [`no handler for route "${path}". route entry not found.`]);

/** logical.ErrorResponse: a 400 with the message as is. */
export const badRequest = (message: string): VaultHttpError => new VaultHttpError(400, [message]);

export const invalidWrappingToken = (): VaultHttpError =>
  badRequest("wrapping token is not valid or does not exist");
