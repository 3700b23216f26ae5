using MMAdapt.Encoders.Audio;
using Xunit;

namespace MMAdapt.Tests.Finetune.Synthetic;

[Collection(nameof(SyntheticDatasetCollection))]
public class SyntheticAudioTests(SyntheticDatasetFixture data)
{
    private const int Frame = 160; // 10 ms at 16 kHz: beeps (100 ms on, 100 ms off) start on frame boundaries

    [Fact]
    public void Sounds_are_16_bit_mono_wav_of_the_set_length()
    {
        var path = data.File(data.Rows().First(r => r.GetProperty("audios").GetArrayLength() > 0).GetProperty("audios")[0].GetString()!);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(44 + 2 * 16000, bytes.Length);
        Assert.Equal((short)1, BitConverter.ToInt16(bytes, 20));  // PCM
        Assert.Equal((short)1, BitConverter.ToInt16(bytes, 22));  // mono
        Assert.Equal((short)16, BitConverter.ToInt16(bytes, 34)); // bits
        var clip = AudioFileReader.Read(path);
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal(16000, clip.Samples.Length);
        Assert.InRange(clip.Samples.Max(Math.Abs), 0.45f, 0.55f);
    }

    [Fact]
    public void Pitch_pattern_and_source_are_what_the_labels_say()
    {
        var rows = data.Rows().Where(r => r.GetProperty("labels").TryGetProperty("audio", out _)).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var label = row.GetProperty("labels").GetProperty("audio");
            var (pitch, pattern, source) = (label.GetProperty("pitch").GetString(), label.GetProperty("pattern").GetString(), label.GetProperty("source").GetString());
            var path = data.File(row.GetProperty("audios")[0].GetString()!);
            var s = AudioFileReader.Read(path).Samples;
            var (rms, hertz) = Frames(s);
            double loudest = rms.Max();
            var active = Enumerable.Range(0, rms.Length).Where(f => rms[f] > 0.3 * loudest).ToArray();
            var where = $"{path} ({pitch} {pattern} {source})";

            // Pitch: the mean zero-crossing frequency, classed at the geometric midpoints of 200, 800 and 3200 Hz.
            double mean = Math.Exp(active.Average(f => Math.Log(hertz[f])));
            Assert.True(pitch == (mean < 400 ? "low" : mean < 1600 ? "mid" : "high"), $"{where}: {mean:F0} Hz");

            // Pattern: silent frames for beeping; first vs last third of the frequency for glides.
            double silent = rms.Count(r => r < 0.05 * loudest) / (double)rms.Length;
            int third = active.Length / 3;
            double glide = active.TakeLast(third).Average(f => hertz[f]) / active.Take(third).Average(f => hertz[f]);
            string heard = silent is > 0.35 and < 0.6 ? "beeping" : glide > 1.3 ? "rising" : glide < 1 / 1.3 ? "falling" : "steady";
            Assert.True(pattern == heard, $"{where}: silent {silent:F2}, glide {glide:F2}");
            if (pattern != "beeping")
                Assert.True(silent < 0.05, $"{where}: silent {silent:F2}");

            // Source: a tone's loudness is flat (spread under 0.03 over 500 rows); a noise band's fluctuates (over 0.15).
            var inner = active.Where(f => f > 0 && f < rms.Length - 1 && rms[f - 1] > 0.3 * loudest && rms[f + 1] > 0.3 * loudest).Select(f => rms[f]).ToArray();
            double spread = Math.Sqrt(inner.Average(r => r * r) - Math.Pow(inner.Average(), 2)) / inner.Average();
            Assert.True(source == (spread < 0.07 ? "tone" : "noise"), $"{where}: loudness spread {spread:F3}");
        }
    }

    // Per 10 ms frame: RMS and the zero-crossing frequency (crossings / 2 / duration).
    private static (double[] Rms, double[] Hertz) Frames(float[] s)
    {
        int frames = s.Length / Frame;
        var rms = new double[frames];
        var hertz = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            double energy = 0;
            int crossings = 0;
            for (int n = f * Frame; n < (f + 1) * Frame; n++)
            {
                energy += s[n] * s[n];
                if (n > f * Frame && s[n] >= 0 != s[n - 1] >= 0)
                    crossings++;
            }
            rms[f] = Math.Sqrt(energy / Frame);
            hertz[f] = Math.Max(crossings, 1) * 16000.0 / Frame / 2;
        }
        return (rms, hertz);
    }
}
