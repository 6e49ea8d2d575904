/** Errors about data on disk always name the file at fault, so users can fix it. */
export class DataError extends Error {
  constructor(
    /** The file or folder at fault. */
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'DataError';
  }
}
