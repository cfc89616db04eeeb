import type { APIGatewayProxyResult } from 'aws-lambda';
import { DomainError } from '../domain/errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem document with our stable `code`. Details are only given below 500. */
export function problemResponse(error: unknown, instance?: string): APIGatewayProxyResult {
  if (error instanceof DomainError) {
    const body = {
      type: `urn:migration-control-plane:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
      title: error.title,
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(instance ? { instance } : {}),
      ...(error.status < 500 ? error.extra : {}),
    };
    return {
      statusCode: error.status,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE },
      body: JSON.stringify(body),
    };
  }
  return {
    statusCode: 500,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify({
      type: 'urn:migration-control-plane:problem:internal-error',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'The request could not be completed. It is safe to retry; the request id identifies it in our logs.',
      ...(instance ? { instance } : {}),
    }),
  };
}
