namespace MMAdapt.Core.Checkpoints;

/// <summary>What <see cref="StateDictLoader.Load"/> did.</summary>
/// <param name="Loaded">Module keys (<c>state_dict()</c> names) now holding checkpoint values, directly or
/// through a tied key, in module order.</param>
/// <param name="Missing">Module keys that received nothing, in module order, including those
/// <c>allowMissing</c> accepted.</param>
/// <param name="Unexpected">Checkpoint names that matched no module key, in checkpoint order, including
/// those <c>allowUnexpected</c> accepted; names the key map skipped (mapped to null) are not listed.</param>
public sealed record LoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
