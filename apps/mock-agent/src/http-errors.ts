/** `{path, message}`: the issue shape of the mock's 422 answers. */
export interface RequestIssue {
  path: (string | number)[];
  message: string;
}

export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export const unauthorized = (message: string): Response => jsonResponse(401, { error: 'unauthorized', message });

/** 422 `{"error":"invalid_request","message","issues":[{path,message}]}`; the message names each field. */
export const invalidRequest = (issues: RequestIssue[]): Response =>
  jsonResponse(422, {
    error: 'invalid_request',
    message: issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '),
    issues,
  });
