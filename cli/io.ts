export interface CliIo {
  out(line: string): void;
  error(line: string): void;
}

export interface CliOptions {
  host: object;
  timeout?: number;
}
