using MMAdapt.Finetune.Data;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Data;

public sealed class ClassLabelTests : IDisposable
{
    private readonly TempFolder temp = new();

    public ClassLabelTests() => File.WriteAllBytes(temp.File("c.wav"), [1, 2, 3]);

    public void Dispose() => temp.Dispose();

    private string Write(string name, params string[] lines)
    {
        var path = temp.File(name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void Labelled_rows_may_hold_a_user_turn_alone_in_both_formats()
    {
        var sharegpt = Write("sounds.jsonl",
            """{"messages":[{"role":"user","content":"<audio>"}],"audios":["c.wav"],"label":2}""",
            """{"messages":[{"role":"user","content":"<audio>"},{"role":"assistant","content":"high."}],"audio":"c.wav","label":0}""",
            """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello."}]}""");
        var samples = ConversationDataset.Load(sharegpt);
        Assert.Equal([2, 0, null], samples.Select(s => s.Label));
        Assert.Equal([ChatMessage.User("<audio>")], samples[0].Messages);
        Assert.Equal(["line 1", "line 2", "line 3"], samples.Select(s => s.Location));

        var llava = Write("sounds.json", """[{"audio":"c.wav","conversations":[{"from":"human","value":"<audio>"}],"label":1}]""");
        var sample = Assert.Single(ConversationDataset.Load(llava));
        Assert.Equal((1, "row 1 (index 0)"), (sample.Label, sample.Location));

        ClassLabels.Check(samples.Take(2), labels: 3);
        var error = Assert.Throws<DatasetException>(() => ClassLabels.Check(samples, labels: 3));
        Assert.Equal($"{sharegpt}, line 3: no 'label'; a classify stage needs an integer class label in [0, 3) on every row.", error.Message);
        error = Assert.Throws<DatasetException>(() => ClassLabels.Check(samples, labels: 2));
        Assert.Equal($"{sharegpt}, line 1: 'label' is 2; expected an integer in [0, 2) (the head has 2 labels).", error.Message);
        Assert.Equal(1, error.Row);
    }

    [Theory]
    [InlineData("1.5", "'label' is 1.5, not an integer; expected an integer class label (0, 1, ...).")]
    [InlineData("1e10", "'label' is 1e10, not an integer; expected an integer class label (0, 1, ...).")]
    [InlineData("\"two\"", "'label' is a string (\"two\"); expected an integer class label (0, 1, ...).")]
    [InlineData("[1]", "'label' is an array ([1]); expected an integer class label (0, 1, ...).")]
    public void A_label_that_is_not_an_integer_fails_naming_the_file_and_row(string label, string detail)
    {
        var path = Write("bad.json", "[", $$"""{"audio":"c.wav","conversations":[{"from":"human","value":"<audio>"}],"label":0},""",
            $$"""{"audio":"c.wav","conversations":[{"from":"human","value":"<audio>"}],"label":{{label}}}""", "]");
        var error = Assert.Throws<DatasetException>(() => ConversationDataset.Load(path));
        Assert.Equal($"{path}, row 2 (index 1): {detail}", error.Message);
    }

    [Fact]
    public void An_unlabelled_row_still_needs_an_assistant_turn()
    {
        var path = Write("bad.jsonl", """{"messages":[{"role":"user","content":"<audio>"}],"audios":["c.wav"]}""");
        var error = Assert.Throws<DatasetException>(() => ConversationDataset.Load(path));
        Assert.Equal($"{path}, line 1: no assistant turn (roles: user); expected at least one assistant turn to train on, or a 'label' to classify.", error.Message);
    }
}
