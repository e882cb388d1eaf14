/** The quota resource (docs/api.md "Quota"): yuan as two-decimal strings, times as ISO-8601. */
import { Type } from 'typebox';

const Yuan = Type.String({ pattern: '^-?\\d+\\.\\d{2}$' });
const NullableYuan = Type.Union([Yuan, Type.Null()]);
const Time = Type.String({ format: 'date-time' });
const NullableTime = Type.Union([Time, Type.Null()]);

export const QuotaSchema = Type.Object({
  sellerTaxId: Type.String(),
  known: Type.Boolean({ description: 'false until a channel has told the quota this month: nothing is guarded then' }),
  month: Type.String({ description: 'YYYY-MM, Beijing time' }),
  total: NullableYuan,
  remaining: NullableYuan,
  committed: Yuan,
  usedElsewhere: Yuan,
  reserve: Yuan,
  asOf: NullableTime,
  exhaustsAt: NullableTime,
  exhaustsAtRange: Type.Union([Type.Array(Time, { minItems: 2, maxItems: 2, description: '[from, to]' }), Type.Null()]),
  pacePerHour: NullableYuan,
  remainingShare: Type.Union([Type.Number(), Type.Null()]),
  waiting: Type.Object({ count: Type.Integer(), amount: Yuan }),
  read: Type.Object({ channel: Type.Union([Type.String(), Type.Null()]), at: NullableTime, error: Type.Union([Type.String(), Type.Null()]), today: Type.Integer() }),
  burnDown: Type.Array(Type.Object({ at: Time, remaining: Yuan })),
});
