using System.Buffers.Binary;

namespace MMAdapt.Encoders.Audio;

/// <summary>How the samples of a WAV data chunk are stored.</summary>
internal enum WavSampleEncoding
{
    /// <summary>Integer PCM: unsigned for 8-bit containers, signed two's complement for 16, 24 and 32.</summary>
    Pcm,
    /// <summary>IEEE 754 float, 32 or 64 bits.</summary>
    Float,
}

/// <summary>
/// The decoded <c>fmt </c> chunk of a RIFF/WAVE file, reduced to what decoding needs.
/// </summary>
/// <param name="Encoding">Integer PCM or IEEE float.</param>
/// <param name="Channels">Interleaved channels per sample frame (at least 1).</param>
/// <param name="SampleRate">Sample frames per second (at least 1).</param>
/// <param name="ContainerBits">Bits each sample occupies in the file: 8, 16, 24 or 32 (PCM), 32 or 64 (float).</param>
/// <param name="ValidBits">Significant bits (<c>wValidBitsPerSample</c> of WAVE_FORMAT_EXTENSIBLE, else
/// <c>wBitsPerSample</c>). Samples are left-justified in their container, so scaling uses the container.</param>
internal sealed record WavFormat(WavSampleEncoding Encoding, int Channels, int SampleRate, int ContainerBits, int ValidBits)
{
    /// <summary>WAVE_FORMAT_PCM.</summary>
    public const int FormatPcm = 0x0001;
    /// <summary>WAVE_FORMAT_IEEE_FLOAT.</summary>
    public const int FormatIeeeFloat = 0x0003;
    /// <summary>WAVE_FORMAT_EXTENSIBLE: the real format code is the first two bytes of the sub-format GUID.</summary>
    public const int FormatExtensible = 0xFFFE;

    /// <summary>What the decoder reads, for error messages.</summary>
    public const string Supported =
        "supported: PCM (format 1) 8-bit unsigned, 16, 24 and 32-bit; IEEE float (format 3) 32 and 64-bit; "
        + "WAVE_FORMAT_EXTENSIBLE (0xFFFE) with a PCM or IEEE float sub-format";

    /// <summary>Bytes of one sample frame (all channels).</summary>
    public int BlockAlign => Channels * (ContainerBits / 8);

    // The 12 bytes every KSDATAFORMAT_SUBTYPE_* GUID shares after its leading format code:
    // {xxxxxxxx-0000-0010-8000-00AA00389B71}, stored little-endian as below.
    private static ReadOnlySpan<byte> GuidTail => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Parses the body of a <c>fmt </c> chunk.</summary>
    /// <exception cref="AudioFileException">A field is out of range, the codec is not PCM or float, or the
    /// chunk is too short for its format; the message names <paramref name="source"/>.</exception>
    public static WavFormat Parse(ReadOnlySpan<byte> fmt, string source)
    {
        if (fmt.Length < 16)
            throw new AudioFileException(source, $"'fmt ' chunk is {fmt.Length} bytes, expected at least 16.");
        int formatTag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        uint sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bitsPerSample = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
        int validBits = bitsPerSample;
        int codec = formatTag;

        if (formatTag == FormatExtensible)
        {
            // cbSize (2 bytes) >= 22: validBits (2), channel mask (4), sub-format GUID (16).
            if (fmt.Length < 40)
                throw new AudioFileException(source, $"WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {fmt.Length} bytes, expected 40.");
            validBits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[18..]);
            var guid = fmt.Slice(24, 16);
            codec = BinaryPrimitives.ReadUInt16LittleEndian(guid);
            if (!guid[2..].SequenceEqual(GuidTail))
                throw new AudioFileException(source,
                    $"WAVE_FORMAT_EXTENSIBLE sub-format GUID {Convert.ToHexString(guid)} is not a KSDATAFORMAT_SUBTYPE_* GUID; {Supported}.");
            if (validBits == 0)
                validBits = bitsPerSample;  // 0 means "all bits valid" in practice.
        }

        var encoding = codec switch
        {
            FormatPcm => WavSampleEncoding.Pcm,
            FormatIeeeFloat => WavSampleEncoding.Float,
            _ => throw new AudioFileException(source,
                $"unsupported WAV codec: format code {codec} (0x{codec:X4}, {CodecName(codec)}){(formatTag == FormatExtensible ? " in a WAVE_FORMAT_EXTENSIBLE sub-format" : "")}; {Supported}. Convert it with e.g. 'ffmpeg -i IN -c:a pcm_s16le OUT.wav'."),
        };
        if (channels == 0)
            throw new AudioFileException(source, "'fmt ' chunk declares 0 channels, expected at least 1.");
        if (sampleRate == 0 || sampleRate > int.MaxValue)
            throw new AudioFileException(source, $"'fmt ' chunk declares sample rate {sampleRate}, expected a positive rate.");

        // Plain PCM may declare e.g. 12 or 20 bits: samples sit left-justified in whole bytes.
        int containerBits = formatTag == FormatExtensible ? bitsPerSample : (bitsPerSample + 7) / 8 * 8;
        bool containerOk = encoding == WavSampleEncoding.Pcm
            ? containerBits is 8 or 16 or 24 or 32
            : containerBits is 32 or 64;
        if (!containerOk)
            throw new AudioFileException(source, $"{bitsPerSample}-bit {(encoding == WavSampleEncoding.Pcm ? "PCM" : "IEEE float")} samples are not supported; {Supported}.");
        if (validBits > containerBits)
            throw new AudioFileException(source, $"valid bits per sample {validBits} exceed the {containerBits}-bit sample container.");

        var format = new WavFormat(encoding, channels, (int)sampleRate, containerBits, validBits);
        if (blockAlign != format.BlockAlign)
            throw new AudioFileException(source,
                $"'fmt ' chunk declares block align {blockAlign}, expected {format.BlockAlign} ({channels} channels x {containerBits / 8} bytes).");
        return format;
    }

    /// <summary>A readable name for common WAV format codes.</summary>
    public static string CodecName(int code) => code switch
    {
        0x0001 => "PCM",
        0x0002 => "Microsoft ADPCM",
        0x0003 => "IEEE float",
        0x0006 => "A-law",
        0x0007 => "mu-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG",
        0x0055 => "MPEG layer 3",
        0x0092 => "Dolby AC-3",
        0x00FF => "AAC",
        0x0161 => "Windows Media Audio",
        0xF1AC => "FLAC",
        _ => "unknown",
    };
}
