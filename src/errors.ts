/**
 * A failure the user can fix: a bad argument, config key, data file or checkpoint.
 * The CLI prints `message` (which names the file, line or key) and `hint` without a
 * stack and exits 2. Anything that is not a UserError is a bug in ner-train.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** `file:line: what is wrong`, the one shape every data error takes. */
export function dataError(file: string, line: number, what: string, hint?: string): UserError {
  return new UserError(`${file}:${line}: ${what}`, hint === undefined ? {} : { hint });
}

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** Turns the file-system errors a user causes (missing file, a folder given for a file, no permission) into UserErrors. */
export function fileError(path: string, error: unknown, what = 'cannot read'): Error {
  if (isErrnoException(error)) {
    switch (error.code) {
      case 'ENOENT':
        return new UserError(`${path}: no such file`, { hint: 'check the path (relative paths in a config file are relative to that file)' });
      case 'EISDIR':
        return new UserError(`${path}: is a folder, expected a file`);
      case 'EACCES':
      case 'EPERM':
        return new UserError(`${path}: permission denied (${what})`);
      case 'ENOTDIR':
        return new UserError(`${path}: a part of this path is not a folder`);
      case 'EEXIST':
        return new UserError(`${path}: exists and is not a folder (${what})`);
      case 'ENOSPC':
        return new UserError(`${path}: no space left on the device (${what})`, { exitCode: 1 });
      case 'EROFS':
        return new UserError(`${path}: the file system is read-only (${what})`);
      default:
        break;
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}
