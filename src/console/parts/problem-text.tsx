// A refusal as the pages show it: the problem's title in the chosen language, and the field errors
// that have no field of their own on the page, in words (never a JSON pointer).
import type { FieldProblem, Problem } from '../api';
import { problemWords, say } from '../i18n';

export function ProblemText({ problem, errors = problem.errors ?? [] }: { problem: Problem; errors?: readonly FieldProblem[] }) {
  return (
    <div class="error" role="alert">
      <p>{problemWords(problem)}</p>
      {errors.length > 0 && (
        <ul>
          {errors.map((error, index) => (
            <li key={index}>{say(error)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
