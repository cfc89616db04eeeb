import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { matchRoute } from '../../infra/local/api-server';

/** An API Gateway REST proxy event as the deployed API (and the local server) would build it. */
export function proxyEvent(method: string, urlPath: string, body?: unknown): APIGatewayProxyEvent {
  const { match } = matchRoute(method, urlPath);
  if (!match) throw new Error(`no route ${method} ${urlPath}`);
  const headers: Record<string, string> = { Host: '127.0.0.1', 'User-Agent': 'bench', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  const requestId = randomUUID();
  return {
    resource: match.route.path,
    path: urlPath,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      requestId,
      resourcePath: match.route.path,
      httpMethod: method,
      path: urlPath,
      stage: 'bench',
      identity: { userArn: 'arn:aws:iam::123456789012:user/bench', sourceIp: '127.0.0.1' },
    },
  } as unknown as APIGatewayProxyEvent;
}

export const lambdaContext = (fn: string): Context => ({ awsRequestId: randomUUID(), functionName: fn, getRemainingTimeInMillis: () => 29_000 }) as unknown as Context;
