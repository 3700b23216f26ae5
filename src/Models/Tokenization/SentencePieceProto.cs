using System.Text;

namespace MMAdapt.Models.Tokenization;

/// <summary>
/// The parts of a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto) that MMAdapt needs beside
/// Microsoft.ML.Tokenizers: each piece with its score and type, the special ids and the model type. Read by a
/// small protobuf wire-format reader so that no generated code is needed.
/// </summary>
internal sealed class SentencePieceProto
{
    /// <summary>Piece types (<c>SentencePiece.Type</c>).</summary>
    public enum PieceType
    {
        /// <summary>An ordinary piece.</summary>
        Normal = 1,

        /// <summary>The unknown piece.</summary>
        Unknown = 2,

        /// <summary>A control piece such as BOS/EOS, never produced from text by the model.</summary>
        Control = 3,

        /// <summary>A piece matched verbatim in text.</summary>
        UserDefined = 4,

        /// <summary>A piece never used.</summary>
        Unused = 5,

        /// <summary>A byte-fallback piece <c>&lt;0xNN&gt;</c>.</summary>
        Byte = 6,
    }

    /// <summary>The pieces in id order.</summary>
    public List<(string Piece, float Score, PieceType Type)> Pieces { get; } = [];

    /// <summary><c>trainer_spec.model_type</c>: 1 unigram (the proto default), 2 BPE, 3 word, 4 char.</summary>
    public int ModelType { get; private set; } = 1;

    /// <summary><c>trainer_spec.unk_id</c>.</summary>
    public int UnkId { get; private set; }

    /// <summary><c>trainer_spec.bos_id</c> (-1 when disabled).</summary>
    public int BosId { get; private set; } = 1;

    /// <summary><c>trainer_spec.eos_id</c> (-1 when disabled).</summary>
    public int EosId { get; private set; } = 2;

    /// <summary><c>trainer_spec.pad_id</c> (-1 when disabled).</summary>
    public int PadId { get; private set; } = -1;

    /// <summary><c>trainer_spec.byte_fallback</c>.</summary>
    public bool ByteFallback { get; private set; }

    /// <summary><c>normalizer_spec.add_dummy_prefix</c>.</summary>
    public bool AddDummyPrefix { get; private set; } = true;

    /// <summary>Parses the bytes of a <c>tokenizer.model</c>; damage fails naming <paramref name="file"/>.</summary>
    public static SentencePieceProto Parse(byte[] data, string file)
    {
        var proto = new SentencePieceProto();
        try
        {
            var reader = new Reader(data, 0, data.Length);
            while (reader.Next(out var field, out var wire))
            {
                switch (field, wire)
                {
                    case (1, 2): proto.ReadPiece(reader.Message()); break;
                    case (2, 2): proto.ReadTrainerSpec(reader.Message()); break;
                    case (3, 2): proto.ReadNormalizerSpec(reader.Message()); break;
                    default: reader.Skip(wire); break;
                }
            }
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidDataException)
        {
            throw new InvalidDataException($"{file}: not a valid SentencePiece model ({e.Message})", e);
        }

        if (proto.Pieces.Count == 0)
        {
            throw new InvalidDataException($"{file}: not a valid SentencePiece model (no pieces)");
        }

        return proto;
    }

    private void ReadPiece(Reader reader)
    {
        string piece = "";
        float score = 0;
        var type = PieceType.Normal;
        while (reader.Next(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (1, 2): piece = reader.String(); break;
                case (2, 5): score = reader.Float(); break;
                case (3, 0): type = (PieceType)(int)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }

        Pieces.Add((piece, score, type));
    }

    private void ReadTrainerSpec(Reader reader)
    {
        while (reader.Next(out var field, out var wire))
        {
            switch (field, wire)
            {
                case (3, 0): ModelType = (int)reader.Varint(); break;
                case (35, 0): ByteFallback = reader.Varint() != 0; break;
                case (40, 0): UnkId = (int)(long)reader.Varint(); break;
                case (41, 0): BosId = (int)(long)reader.Varint(); break;
                case (42, 0): EosId = (int)(long)reader.Varint(); break;
                case (43, 0): PadId = (int)(long)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private void ReadNormalizerSpec(Reader reader)
    {
        while (reader.Next(out var field, out var wire))
        {
            if (field == 3 && wire == 0)
            {
                AddDummyPrefix = reader.Varint() != 0;
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    /// <summary>A cursor over one protobuf message in a byte array.</summary>
    private sealed class Reader(byte[] data, int start, int end)
    {
        private int _position = start;

        public bool Next(out int field, out int wire)
        {
            if (_position >= end)
            {
                field = wire = 0;
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public float Float()
        {
            var value = BitConverter.ToSingle(data, _position);
            _position += 4;
            return value;
        }

        public string String()
        {
            var (from, length) = Span();
            return Encoding.UTF8.GetString(data, from, length);
        }

        public Reader Message()
        {
            var (from, length) = Span();
            return new Reader(data, from, from + length);
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _position += 8; break;
                case 2: Span(); break;
                case 5: _position += 4; break;
                default: throw new InvalidDataException($"unknown wire type {wire}");
            }
        }

        private (int From, int Length) Span()
        {
            var length = checked((int)Varint());
            var from = _position;
            if (length < 0 || from + length > end)
            {
                throw new InvalidDataException("field runs past the end of its message");
            }

            _position += length;
            return (from, length);
        }
    }
}
