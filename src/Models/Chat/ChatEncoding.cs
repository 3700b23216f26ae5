namespace MMAdapt.Models.Chat;

/// <summary>An encoded conversation: its token ids and where each turn lies in them.</summary>
/// <param name="Ids">Token ids, <c>[tokens]</c>.</param>
/// <param name="Turns">One span per rendered turn, in order.</param>
public sealed record ChatEncoding(IReadOnlyList<int> Ids, IReadOnlyList<TurnSpan> Turns)
{
    /// <summary>
    /// Per token, true where training puts loss: inside an assistant turn's
    /// <see cref="TurnSpan.ContentStart"/>..<see cref="TurnSpan.ContentEnd"/>. Shape <c>[tokens]</c>.
    /// </summary>
    public bool[] LossMask()
    {
        var mask = new bool[Ids.Count];
        foreach (var turn in Turns)
        {
            if (turn.ContentStart is { } start && turn.ContentEnd is { } end)
            {
                Array.Fill(mask, true, start, end - start);
            }
        }

        return mask;
    }
}
