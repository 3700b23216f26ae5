using MMAdapt.Finetune.Data;
using MMAdapt.Models.Chat;
using MMAdapt.Tests.TestSupport;
using Xunit;

namespace MMAdapt.Tests.Finetune.Data;

public sealed class ConversationDatasetTests : IDisposable
{
    private readonly TempFolder temp = new();

    public ConversationDatasetTests()
    {
        Directory.CreateDirectory(temp.File("data/img"));
        foreach (var media in new[] { "data/img/a.png", "data/img/b.png", "data/c.wav" })
            File.WriteAllBytes(temp.File(media), [1, 2, 3]);
    }

    public void Dispose() => temp.Dispose();

    private string Write(string name, params string[] lines)
    {
        var path = temp.File(Path.Combine("data", name));
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private DatasetException Fails(string path, DatasetFormat format = DatasetFormat.Auto, DatasetLoadOptions? options = null) =>
        Assert.Throws<DatasetException>(() => ConversationDataset.Load(path, format, options));

    private const string Turns = """[{"role":"user","content":"hi"},{"role":"assistant","content":"hello."}]""";

    [Fact]
    public void ShareGpt_jsonl_loads_with_resolved_media_in_placeholder_order()
    {
        var path = Write("train.jsonl",
            """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"<image>\n<image>\n<audio>\nSame?"},{"role":"assistant","content":"no."}],"images":["img/a.png","img/b.png"],"audios":["c.wav"]}""",
            "",
            """{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"image":"img/b.png","id":7}""",
            """{"messages":[{"role":"user","content":"Mix red and blue?"},{"role":"assistant","content":"purple."}]}""");
        var samples = ConversationDataset.Load(path);

        Assert.Equal(3, samples.Count);
        Assert.Equal([1, 3, 4], samples.Select(s => s.Row));
        Assert.All(samples, s => Assert.Equal(path, s.Source));
        Assert.Equal([ChatMessage.System("Be brief."), ChatMessage.User("<image>\n<image>\n<audio>\nSame?"), ChatMessage.Assistant("no.")], samples[0].Messages);
        Assert.Equal([temp.File("data/img/a.png"), temp.File("data/img/b.png")], samples[0].Images);
        Assert.Equal([temp.File("data/c.wav")], samples[0].Audios);
        Assert.Equal([temp.File("data/img/b.png")], samples[1].Images);
        Assert.Empty(samples[2].Images);
        Assert.Empty(samples[2].Audios);
    }

    [Fact]
    public void Json_arrays_number_rows_by_index_plus_one()
    {
        var path = Write("train.json", "[", $$"""  {"messages": {{Turns}}},""", $$"""  {"messages": {{Turns}}, "images": []}""", "]");
        Assert.Equal([1, 2], ConversationDataset.Load(path).Select(s => s.Row));
    }

    [Fact]
    public void Llava_rows_map_speakers_to_roles()
    {
        var path = Write("llava.json", """
            [{"id": "000001", "image": "img/a.png", "conversations": [
                {"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "a square."},
                {"from": "human", "value": "Colour?"}, {"from": "gpt", "value": "red."}]}]
            """);
        var sample = Assert.Single(ConversationDataset.Load(path));
        Assert.Equal(["user", "assistant", "user", "assistant"], sample.Messages.Select(m => m.Role));
        Assert.Equal("<image>\nWhat is this?", sample.Messages[0].Content);
        Assert.Equal([temp.File("data/img/a.png")], sample.Images);
        Assert.Single(ConversationDataset.Load(path, DatasetFormat.Llava));
    }

    [Fact]
    public void Missing_placeholders_are_added_llava_style_when_asked()
    {
        var path = Write("llava.jsonl",
            """{"image": ["img/a.png", "img/b.png"], "audio": "c.wav", "conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Describe."}, {"from": "gpt", "value": "ok."}]}""");
        var error = Fails(path);
        Assert.Contains("0 '<image>' placeholder(s) in the messages but 2 image(s) attached", error.Message);
        Assert.Contains("AddMissingPlaceholders", error.Message);

        var sample = Assert.Single(ConversationDataset.Load(path, options: new DatasetLoadOptions { AddMissingPlaceholders = true }));
        Assert.Equal("S", sample.Messages[0].Content);
        Assert.Equal("<image>\n<image>\n<audio>\nDescribe.", sample.Messages[1].Content);
    }

    [Fact]
    public void Placeholder_counts_must_match_the_media_naming_file_row_and_both_counts()
    {
        var path = Write("train.jsonl",
            $$"""{"messages": {{Turns}}}""",
            """{"messages":[{"role":"user","content":"<image>\n<image>\nSame?"},{"role":"assistant","content":"yes."}],"images":["img/a.png"]}""");
        var error = Fails(path);
        Assert.Equal($"{path}, line 2: 2 '<image>' placeholder(s) in the messages but 1 image(s) attached; expected one placeholder per image.", error.Message);
        Assert.Equal(2, error.Row);
        // A partial count is not completed even when adding is allowed.
        Fails(path, options: new DatasetLoadOptions { AddMissingPlaceholders = true });

        var audio = Write("audio.jsonl", """{"messages":[{"role":"user","content":"<audio>\nLoud?"},{"role":"assistant","content":"yes."}]}""");
        Assert.Contains("1 '<audio>' placeholder(s) in the messages but 0 audio(s) attached", Fails(audio).Message);

        var custom = Write("custom.jsonl", """{"messages":[{"role":"user","content":"<img>\nColour?"},{"role":"assistant","content":"red."}],"images":["img/a.png"]}""");
        Assert.Single(ConversationDataset.Load(custom, options: new DatasetLoadOptions { ImagePlaceholder = "<img>" }));
    }

    [Fact]
    public void Malformed_json_names_the_file_and_line()
    {
        var jsonl = Write("bad.jsonl", $$"""{"messages": {{Turns}}}""", """{"messages": [}""");
        var error = Fails(jsonl);
        Assert.StartsWith($"{jsonl}, line 2: malformed JSON", error.Message);
        Assert.Equal(2, error.Row);

        var json = Write("bad.json", "[", $$"""  {"messages": {{Turns}}},""", """  {"messages": [,]}""", "]");
        Assert.StartsWith($"{json}, line 3: malformed JSON", Fails(json).Message);
    }

    [Fact]
    public void Rows_of_the_wrong_shape_name_the_row_and_what_was_expected()
    {
        var array = Write("rows.json", $$"""[{"messages": {{Turns}}}, 5]""");
        Assert.Equal($"{array}, row 2 (index 1): expected a JSON object (one conversation), got a number.", Fails(array).Message);

        var noTurns = Write("none.jsonl", """{"text": "hello"}""");
        Assert.Contains("line 1: cannot tell the format: expected 'messages' (ShareGPT) or 'conversations' (LLaVA); keys present: 'text'", Fails(noTurns).Message);
        Assert.Contains("line 1: missing 'messages'", Fails(noTurns, DatasetFormat.ShareGpt).Message);

        var content = Write("content.jsonl", """{"messages":[{"role":"user","content":5}]}""");
        Assert.Contains("line 1: messages[0].content is a number; expected a string.", Fails(content).Message);

        var both = Write("both.jsonl", $$"""{"messages": {{Turns}}, "image": "img/a.png", "images": ["img/b.png"]}""");
        Assert.Contains("has both 'image' and 'images'", Fails(both).Message);

        Assert.Contains("no rows", Fails(Write("empty.jsonl", "", "  ")).Message);
    }

    [Fact]
    public void Unknown_roles_list_the_known_ones()
    {
        var sharegpt = Write("roles.jsonl", """{"messages":[{"role":"user","content":"hi"},{"role":"bot","content":"hello."}]}""");
        Assert.Contains("line 1: messages[1].role 'bot' is not a known role; expected one of system, user, assistant.", Fails(sharegpt).Message);

        var llava = Write("roles.json", """[{"conversations":[{"from":"human","value":"hi"},{"from":"assistant","value":"hello."}]}]""");
        Assert.Contains("row 1 (index 0): conversations[1].from 'assistant' is not a known role; expected one of human, gpt, system.", Fails(llava).Message);
    }

    [Fact]
    public void Empty_conversations_and_rows_without_an_answer_are_rejected()
    {
        var empty = Write("empty.jsonl", $$"""{"messages": {{Turns}}}""", """{"messages": []}""");
        var error = Fails(empty);
        Assert.Contains("line 2: 'messages' is empty", error.Message);
        Assert.Equal(2, error.Row);

        var unanswered = Write("unanswered.json", """[{"conversations":[{"from":"system","value":"S"},{"from":"human","value":"hi"}]}]""");
        Assert.Contains("row 1 (index 0): no assistant turn (roles: system, user)", Fails(unanswered).Message);
    }

    [Fact]
    public void Missing_media_names_the_file_row_and_path_unless_existence_is_not_checked()
    {
        var path = Write("missing.jsonl", """{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"images":["img/nope.png"]}""");
        Assert.Equal($"{path}, line 1: image file 'img/nope.png' not found (looked for {temp.File("data/img/nope.png")}).", Fails(path).Message);
        var sample = Assert.Single(ConversationDataset.Load(path, options: new DatasetLoadOptions { CheckMediaExists = false }));
        Assert.Equal([temp.File("data/img/nope.png")], sample.Images);

        var folder = Write("folder.jsonl", """{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"images":["img"]}""");
        Assert.Contains("image path 'img' is a folder", Fails(folder).Message);
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("img/../../outside.png")]
    [InlineData("/etc/passwd")]
    public void Paths_that_leave_the_dataset_folder_are_rejected_even_unchecked(string written)
    {
        File.WriteAllBytes(temp.File("outside.png"), [1]);
        var path = Write("escape.jsonl",
            $$"""{"messages": {{Turns}}}""",
            $$$"""{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"images":["{{{written}}}"]}""");
        var error = Fails(path, options: new DatasetLoadOptions { CheckMediaExists = false });
        Assert.StartsWith($"{path}, line 2: image path '{written}' resolves to ", error.Message);
        Assert.Contains($"outside the dataset's folder {temp.File("data")}", error.Message);
    }

    [Fact]
    public void Absolute_paths_inside_the_folder_are_allowed()
    {
        var absolute = temp.File("data/img/a.png");
        var path = Write("absolute.jsonl", $$"""{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"images":["{{absolute}}"]}""");
        Assert.Equal([absolute], Assert.Single(ConversationDataset.Load(path)).Images);
    }

    [Fact]
    public void Symbolic_links_count_by_where_they_lead()
    {
        if (OperatingSystem.IsWindows())
            return; // creating links needs privileges there
        Directory.CreateDirectory(temp.File("elsewhere"));
        File.WriteAllBytes(temp.File("elsewhere/secret.png"), [1]);
        File.CreateSymbolicLink(temp.File("data/file-out.png"), temp.File("elsewhere/secret.png"));
        Directory.CreateSymbolicLink(temp.File("data/dir-out"), temp.File("elsewhere"));
        File.CreateSymbolicLink(temp.File("data/file-in.png"), "img/a.png");              // relative target, inside
        Directory.CreateSymbolicLink(temp.File("data/dir-in"), temp.File("data/img"));
        File.CreateSymbolicLink(temp.File("data/img/chain.png"), "../file-out.png");      // a link to a link that leaves

        string Row(string image) =>
            $$"""{"messages":[{"role":"user","content":"<image>\nColour?"},{"role":"assistant","content":"red."}],"images":["{{image}}"]}""";
        var inside = Write("inside.jsonl", Row("file-in.png"), Row("dir-in/b.png"));
        Assert.Equal([temp.File("data/file-in.png"), temp.File("data/dir-in/b.png")], ConversationDataset.Load(inside).SelectMany(s => s.Images));

        foreach (var image in new[] { "file-out.png", "dir-out/secret.png", "img/chain.png" })
        {
            var path = Write("outside.jsonl", Row(image));
            var error = Fails(path);
            Assert.StartsWith($"{path}, line 1: image path '{image}' leads through a symbolic link to {temp.File("elsewhere/secret.png")}, outside", error.Message);
        }
    }

    [Fact]
    public void A_missing_file_and_bad_options_fail_before_reading()
    {
        Assert.Throws<FileNotFoundException>(() => ConversationDataset.Load(temp.File("data/none.jsonl")));
        var path = Write("ok.jsonl", $$"""{"messages": {{Turns}}}""");
        Assert.Throws<ArgumentException>(() => ConversationDataset.Load(path, options: new DatasetLoadOptions { AudioPlaceholder = "<image>" }));
        Assert.Throws<ArgumentException>(() => ConversationDataset.Load(path, options: new DatasetLoadOptions { ImagePlaceholder = "" }));
    }
}
