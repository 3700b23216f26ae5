using Google.Protobuf;

namespace MMAdapt.Tests.Models.Tokenization;

/// <summary>
/// Writes a tiny SentencePiece BPE <c>ModelProto</c> with Google.Protobuf (field numbers from
/// sentencepiece_model.proto): pieces {1 piece, 2 score, 3 type}, trainer_spec {3 model_type = BPE,
/// 35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id}, normalizer_spec {1 name, 3 add_dummy_prefix,
/// 4 remove_extra_whitespaces, 5 escape_whitespaces}.
/// </summary>
/// <remarks>
/// Ids: 0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3..258 the byte pieces &lt;0x00&gt;..&lt;0xFF&gt;, then <see cref="Merged"/>
/// with scores -1, -2, ... and <see cref="Singles"/> with lower scores. SentencePiece BPE repeatedly joins the
/// adjacent pair whose joined piece has the highest score, so "▁hello" goes ▁ h e l l o → ▁ h e ll o → ▁h e ll o
/// → ▁he ll o → ▁he llo → ▁hello, and "▁world" goes ▁ w o r l d → ▁ w or l d → ▁w or l d → ▁wor l d → ▁wor ld → ▁world.
/// </remarks>
internal static class SentencePieceModelWriter
{
    public const int ByteOffset = 3;

    public static readonly string[] Merged = ["ll", "▁h", "▁he", "llo", "▁hello", "or", "▁w", "▁wor", "ld", "▁world", "[", "]", "INST", "/"];

    public static readonly string[] Singles = ["▁", "h", "e", "l", "o", "w", "r", "d", "I", "N", "S", "T", "\n"];

    public static int IdOf(string piece)
    {
        var merged = Array.IndexOf(Merged, piece);
        if (merged >= 0)
        {
            return ByteOffset + 256 + merged;
        }

        var single = Array.IndexOf(Singles, piece);
        return single >= 0 ? ByteOffset + 256 + Merged.Length + single : throw new ArgumentException(piece);
    }

    public static byte[] Build()
    {
        var pieces = new List<(string Piece, float Score, int Type)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        for (var b = 0; b < 256; b++)
        {
            pieces.Add(($"<0x{b:X2}>", 0, 6));
        }

        pieces.AddRange(Merged.Select((p, i) => (p, -(float)(i + 1), 1)));
        pieces.AddRange(Singles.Select((p, i) => (p, -(float)(100 + i), 1)));

        using var model = new MemoryStream();
        var output = new CodedOutputStream(model);
        foreach (var (piece, score, type) in pieces)
        {
            WriteMessage(output, 1, o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(piece);
                o.WriteTag(2, WireFormat.WireType.Fixed32);
                o.WriteFloat(score);
                o.WriteTag(3, WireFormat.WireType.Varint);
                o.WriteEnum(type);
            });
        }

        WriteMessage(output, 2, o =>
        {
            WriteVarint(o, 3, 2); // model_type BPE
            WriteVarint(o, 35, 1); // byte_fallback
            WriteVarint(o, 40, 0); // unk_id
            WriteVarint(o, 41, 1); // bos_id
            WriteVarint(o, 42, 2); // eos_id
        });
        WriteMessage(output, 3, o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteString("identity");
            WriteVarint(o, 3, 1); // add_dummy_prefix
            WriteVarint(o, 4, 0); // remove_extra_whitespaces (false, as in Llama)
            WriteVarint(o, 5, 1); // escape_whitespaces
        });
        output.Flush();
        return model.ToArray();
    }

    private static void WriteVarint(CodedOutputStream output, int field, int value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt32(value);
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> body)
    {
        using var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        body(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }
}
