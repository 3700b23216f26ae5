namespace MMAdapt.Finetune.Synthetic;

/// <summary>One question of a synthetic conversation and its exact answer.</summary>
/// <param name="Type">The question type, e.g. <c>image.colour</c> (see <see cref="SyntheticQuestions"/>).</param>
/// <param name="Question">The question text, without media placeholders.</param>
/// <param name="Answer">Lowercase, one or two words and a full stop, e.g. <c>red.</c> or <c>two, beeping.</c>.</param>
internal sealed record SyntheticQuestion(string Type, string Question, string Answer);
