using MMAdapt.Models.Chat;
using Xunit;

namespace MMAdapt.Tests.Models.Chat;

public sealed class ChatTemplateRecognizeTests
{
    // Short but realistic chat_template sources in the style of the models' tokenizer_config.json files.
    private const string Llama3 =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + " +
        "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}" +
        "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    private const string Qwen2 =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}" +
        "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string Llama2 =
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}" +
        "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}" +
        "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}" +
        "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}" +
        "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private const string Mistral =
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
        "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}" +
        "{{ message['content'] + eos_token}}{% endif %}{% endfor %}";

    private const string Gemma =
        "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\n' + message['content'] | trim + '<end_of_turn>\n' }}" +
        "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

    public static TheoryData<string, string> Known() => new()
    {
        { Llama3, "llama3" },
        { Qwen2, "chatml" },
        { Llama2, "llama2" },
        { Mistral, "mistral" },
    };

    [Theory]
    [MemberData(nameof(Known))]
    public void Real_templates_are_recognised_by_their_markers(string jinja, string expected)
    {
        var match = ChatTemplate.Recognize(jinja, "plain");
        Assert.True(match.Recognized);
        Assert.Equal(expected, match.Template.Name);
        Assert.Contains(expected, match.Note);
    }

    [Fact]
    public void Qwen2_default_system_prompt_is_pointed_out()
    {
        Assert.Contains("default system prompt", ChatTemplate.Recognize(Qwen2, "plain").Note);
    }

    [Theory]
    [InlineData(Gemma)]
    [InlineData("{{ messages | map(attribute='content') | join('\\n') }}")]
    public void Unknown_templates_use_the_fallback_and_say_so(string jinja)
    {
        var match = ChatTemplate.Recognize(jinja, "chatml");
        Assert.False(match.Recognized);
        Assert.Equal("chatml", match.Template.Name);
        Assert.Contains("not recognised", match.Note);
        Assert.Contains("'chatml'", match.Note);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_template_uses_the_fallback(string? jinja)
    {
        var match = ChatTemplate.Recognize(jinja, "llama3");
        Assert.False(match.Recognized);
        Assert.Equal("llama3", match.Template.Name);
        Assert.Contains("no chat_template", match.Note);
    }

    [Fact]
    public void Unknown_fallback_name_fails_listing_the_names()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTemplate.Recognize(Llama3, "zephyr"));
        Assert.Contains("zephyr", error.Message);
        Assert.Contains("chatml", error.Message);
    }
}
