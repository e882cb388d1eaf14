/**
 * Query-string validation failures as a person can act on them: the parameter's name, what was
 * wrong, and what is allowed, instead of the validator's own words ("must be equal to constant").
 */
import type { FastifySchemaValidationError } from 'fastify';
import type { FieldError } from '../domain/field-error.js';

interface JsonSchemaLike {
  readonly properties?: Readonly<Record<string, JsonSchemaLike>>;
  readonly anyOf?: readonly JsonSchemaLike[];
  readonly const?: unknown;
  readonly type?: string;
  readonly pattern?: string;
  readonly format?: string;
  readonly maxLength?: number;
  readonly description?: string;
}

type QueryError = Pick<FieldError, 'path' | 'message' | 'messageZh'> & { code: string };

/** What a parameter accepts, in words. */
function allowed(schema: JsonSchemaLike | undefined): { en: string; zh: string } {
  if (!schema) return { en: 'see the API documentation', zh: '见 API 文档' };
  if (schema.anyOf?.every((s) => s.const !== undefined)) {
    const values = schema.anyOf.map((s) => String(s.const)).join(', ');
    return { en: `one of ${values}`, zh: `取值之一：${values}` };
  }
  if (schema.description) return { en: schema.description, zh: schema.description };
  if (schema.format === 'date-time') return { en: 'an RFC 3339 date-time, e.g. 2026-11-25T00:00:00+08:00', zh: 'RFC 3339 时间，例如 2026-11-25T00:00:00+08:00' };
  if (schema.pattern) return { en: `text matching ${schema.pattern}`, zh: `符合 ${schema.pattern} 的文本` };
  if (schema.maxLength) return { en: `text of at most ${schema.maxLength} characters`, zh: `不超过 ${schema.maxLength} 个字符的文本` };
  return { en: 'see the API documentation', zh: '见 API 文档' };
}

/** One problem per wrong or unknown parameter (the anyOf branches of one value are reported once). */
export function queryErrors(errors: readonly FastifySchemaValidationError[], schema: unknown): QueryError[] {
  const properties = (schema as JsonSchemaLike | undefined)?.properties ?? {};
  const names = Object.keys(properties);
  const seen = new Set<string>();
  const problems: QueryError[] = [];
  for (const error of errors) {
    const params = error.params as { additionalProperty?: string };
    if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
      const name = params.additionalProperty;
      problems.push({
        path: `/querystring/${name}`,
        code: 'query_parameter_unknown',
        message: `unknown query parameter ${JSON.stringify(name)}; the parameters are ${names.join(', ')}`,
        messageZh: `未知的查询参数 ${JSON.stringify(name)}；可用参数：${names.join('、')}`,
      });
      continue;
    }
    const name = error.instancePath.split('/')[1] ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const what = allowed(properties[name]);
    problems.push({
      path: `/querystring/${name}`,
      code: 'query_parameter_invalid',
      message: `query parameter ${name} must be ${what.en}`,
      messageZh: `查询参数 ${name} 应为${what.zh}`,
    });
  }
  return problems;
}
