/**
 * Reads typed values out of untrusted JSON, one field at a time, collecting every problem instead
 * of stopping at the first: a client fixes all its mistakes in one round trip. A field that is
 * wrong yields undefined and one problem; JSON null counts as absent.
 */
import { parseDecimal, type Decimal, type DecimalLimits, type DecimalSyntaxFault } from './decimal.js';
import { moneyLimits, parseMoney, type Fen } from './money.js';
import { pointer, fieldError, type FieldError, type Text } from './field-error.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export interface StringRule {
  readonly required: boolean;
  /** Maximum length in characters (code points), as the tax platform counts them. */
  readonly max: number;
  /** A shape the text must have, with the problem reported when it does not. */
  readonly shape?: { readonly pattern: RegExp; readonly code: 'phone_format' | 'bank_account_format' | 'email_format' };
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: never legitimate in a field
// that is printed on an invoice.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

// A lone UTF-16 surrogate (JSON allows "\ud800") is no character at all: SQLite would store invalid
// UTF-8, the signed XML would carry U+FFFD and the upstream something else again.
const LONE_SURROGATE = /\p{Cs}/u;
// Characters that change how text is shown without being seen: bidi embeddings, overrides and
// isolates, marks, and zero-width characters. On a printed invoice they hide or reorder what a
// buyer reads ("Trojan Source"), and the upstream's copy would differ from what was reviewed.
const INVISIBLE_CHARACTERS = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

export class RequestReader {
  readonly errors: FieldError[] = [];

  report(item: FieldError): void {
    this.errors.push(item);
  }

  /** The value as an object, or undefined (and a problem unless it is absent and optional). */
  object(value: unknown, path: string, required: boolean): JsonObject | undefined {
    if (value === undefined || value === null) {
      if (required) this.report(fieldError(path, 'field_required'));
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.report(fieldError(path, 'type_invalid', { expected: 'object', example: '' }));
      return undefined;
    }
    return value as JsonObject;
  }

  /**
   * The invoice's lines (or a red-flush's): an array of 1 to `max` items, or undefined and one
   * problem. Past `max` the request is refused as a whole: reading thousands of lines would bury
   * the one problem that matters under line-by-line noise.
   */
  lines(value: unknown, max: number): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.report(fieldError('/lines', 'type_invalid', { expected: 'array', example: '' }));
      return undefined;
    }
    if (value.length === 0) {
      this.report(fieldError('/lines', 'lines_empty'));
      return undefined;
    }
    if (value.length > max) {
      this.report(fieldError('/lines', 'lines_too_many', { max, actual: value.length }));
      return undefined;
    }
    return value as unknown[];
  }

  /** Reports every key of `object` that is not in `allowed`. */
  onlyKnownFields(object: JsonObject, path: string, allowed: readonly string[], hint?: Text): void {
    for (const key of Object.keys(object)) {
      if (!allowed.includes(key)) this.report(fieldError(pointer(path, key), 'field_unknown', hint ? { hint } : {}));
    }
  }

  string(object: JsonObject, key: string, path: string, rule: StringRule): string | undefined {
    const at = pointer(path, key);
    const value = object[key];
    if (value === undefined || value === null) {
      if (rule.required) this.report(fieldError(at, 'field_required'));
      return undefined;
    }
    if (typeof value !== 'string') {
      this.report(fieldError(at, 'type_invalid', { expected: 'string', example: '' }));
      return undefined;
    }
    if (value.trim() === '') {
      this.report(fieldError(at, 'string_empty'));
      return undefined;
    }
    if (LONE_SURROGATE.test(value)) {
      this.report(fieldError(at, 'string_unicode_invalid'));
      return undefined;
    }
    if (CONTROL_CHARACTERS.test(value)) {
      this.report(fieldError(at, 'string_control_characters'));
      return undefined;
    }
    if (INVISIBLE_CHARACTERS.test(value)) {
      const found = INVISIBLE_CHARACTERS.exec(value)![0].codePointAt(0)!;
      this.report(fieldError(at, 'string_invisible_characters', { codePoint: `U+${found.toString(16).toUpperCase().padStart(4, '0')}` }));
      return undefined;
    }
    const length = [...value].length;
    if (length > rule.max) {
      this.report(fieldError(at, 'string_too_long', { max: rule.max, actual: length }));
      return undefined;
    }
    if (rule.shape && !rule.shape.pattern.test(value)) {
      this.report(fieldError(at, rule.shape.code));
      return undefined;
    }
    return value;
  }

  boolean(object: JsonObject, key: string, path: string): boolean | undefined {
    const at = pointer(path, key);
    const value = object[key];
    if (value === undefined || value === null) {
      this.report(fieldError(at, 'field_required'));
      return undefined;
    }
    if (typeof value !== 'boolean') {
      this.report(fieldError(at, 'type_invalid', { expected: 'boolean', example: 'true' }));
      return undefined;
    }
    return value;
  }

  /** One of a fixed set of strings. */
  choice<T extends string>(object: JsonObject, key: string, path: string, allowed: readonly T[], required: boolean): T | undefined {
    const text = this.string(object, key, path, { required, max: 64 });
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text)) {
      this.report(fieldError(pointer(path, key), 'value_not_allowed', { allowed: allowed.join(', ') }));
      return undefined;
    }
    return text as T;
  }

  /** A decimal string within limits; `example` shows the expected form in the message. */
  decimal(object: JsonObject, key: string, path: string, limits: DecimalLimits, example: string): Decimal | undefined {
    const text = this.decimalText(object, key, path, example);
    if (text === undefined) return undefined;
    const parsed = parseDecimal(text, limits);
    if (parsed.ok) return parsed.value;
    this.reportDecimalFault(pointer(path, key), parsed.fault, limits, example);
    return undefined;
  }

  /** An amount of money ("1060.00") in fen; undefined when absent or wrong. */
  money(object: JsonObject, key: string, path: string, allowNegative: boolean): Fen | undefined {
    const text = this.decimalText(object, key, path, '1060.00');
    if (text === undefined) return undefined;
    const parsed = parseMoney(text, { allowNegative });
    if (parsed.ok) return parsed.fen;
    this.reportDecimalFault(pointer(path, key), parsed.fault, moneyLimits(allowNegative), '1060.00');
    return undefined;
  }

  /** The text of a decimal field; a JSON number is refused, because it may already have lost precision. */
  private decimalText(object: JsonObject, key: string, path: string, example: string): string | undefined {
    const value = object[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.report(fieldError(pointer(path, key), 'decimal_format', { example }));
    return undefined;
  }

  private reportDecimalFault(at: string, fault: DecimalSyntaxFault, limits: DecimalLimits, example: string): void {
    switch (fault) {
      case 'not_decimal':
        return this.report(fieldError(at, 'decimal_format', { example }));
      case 'negative':
        return this.report(fieldError(at, 'value_not_positive'));
      case 'too_many_decimals':
        return this.report(fieldError(at, 'decimal_too_precise', { maxDecimals: limits.maxDecimals }));
      case 'too_many_integer_digits':
        return this.report(fieldError(at, 'decimal_too_large', { maxIntegerDigits: limits.maxIntegerDigits }));
    }
  }
}
