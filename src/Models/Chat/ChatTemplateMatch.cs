namespace MMAdapt.Models.Chat;

/// <summary>The result of <see cref="ChatTemplate.Recognize"/>.</summary>
/// <param name="Template">The built-in template to use.</param>
/// <param name="Recognized">True when the Jinja source was recognised as <paramref name="Template"/>; false when the fallback was used.</param>
/// <param name="Note">A sentence for logs: which markers matched, or why the fallback was used, and known differences.</param>
public sealed record ChatTemplateMatch(ChatTemplate Template, bool Recognized, string Note);
