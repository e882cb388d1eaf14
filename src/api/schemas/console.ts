/** The console's session as published in /openapi.json; the console's own types are this schema's. */
import { Type } from 'typebox';

export const Me = Type.Object({
  username: Type.String(),
  role: Type.Union([Type.Literal('operator'), Type.Literal('admin'), Type.Literal('clerk'), Type.Literal('viewer')]),
  sellers: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  csrfToken: Type.String({ description: 'send as X-CSRF-Token with every write' }),
  expiresAt: Type.String({ format: 'date-time' }),
  secondFactor: Type.Object({
    enrolled: Type.Boolean(),
    required: Type.Boolean({ description: 'FAPIAO_CONSOLE_REQUIRE_2FA asks it of this user: until enrolled, the session may only enrol' }),
  }),
});
