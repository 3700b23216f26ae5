using MMAdapt.Finetune.Recipes;
using Xunit;

namespace MMAdapt.Tests.Finetune.Recipes;

/// <summary>What loading a bad recipe reports: every problem at once, each with its key path, file and line.</summary>
public class RecipeProblemTests
{
    [Fact]
    public void Unknown_keys_anywhere_name_the_line_and_the_closest_valid_key()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems("""
            name: tiny
            output_dir: runs/tiny
            sede: 1
            model:
              llm: { path: checkpoints/llm, chat_templat: chatml }
              vison: { path: v }
            data:
              train: { path: data/train.jsonl }
              max_seq: 128
            stages:
              - name: only
                train: [llm]
                max_step: 10
                epochs: 1
                shedule: cosine
                frobnicate: 3
            """);
        var path = Path.Combine(files.Folder, "recipe.yaml");
        Assert.Equal(
        [
            new RecipeProblem("sede", "unknown key 'sede'; did you mean 'seed'?", path, 3),
            new RecipeProblem("model.llm.chat_templat", "unknown key 'chat_templat'; did you mean 'chat_template'?", path, 5),
            new RecipeProblem("model.vison", "unknown key 'vison'; did you mean 'vision'?", path, 6),
            new RecipeProblem("data.max_seq", "unknown key 'max_seq'; did you mean 'max_seq_len'?", path, 9),
            new RecipeProblem("stages[0].max_step", "unknown key 'max_step'; did you mean 'max_steps'?", path, 13),
            new RecipeProblem("stages[0].shedule", "unknown key 'shedule'; did you mean 'scheduler'?", path, 15),
        ], problems.Take(6));
        var far = RecipeTestFiles.Single(problems, "stages[0].frobnicate");
        Assert.Equal(16, far.Line);
        Assert.StartsWith("unknown key 'frobnicate'; valid keys: name, objective, head, data, connectors, train, lr, lr_groups, epochs, max_steps,", far.Message);
        Assert.Equal(7, problems.Count);
        Assert.Equal($"{path}:13: stages[0].max_step: unknown key 'max_step'; did you mean 'max_steps'?", problems[4].ToString());
    }

    [Fact]
    public void Settings_objects_pass_through_unchecked_but_need_a_type()
    {
        using var files = new RecipeTestFiles();
        var recipe = files.LoadText(RecipeTestFiles.Minimal + """

            connectors:
              image: { type: mlp, anything: [1, 2], nested: { deep: true } }
            adapters:
              - { name: a, type: lora, settings: { whatever_key: 1 } }
            """, "model.vision.path=v");
        Assert.True(recipe.Connectors["image"]["nested"]!["deep"]!.GetValue<bool>());
        Assert.Equal(14, recipe.Source!.Locate("adapters[0].settings.whatever_key").Line);
        Assert.Equal(12, recipe.Source.Locate("connectors.image.nested.deep").Line);
        Assert.Equal($"{Path.Combine(files.Folder, "recipe.yaml")}:12 (connectors.image)", recipe.Source.Describe("connectors.image"));

        var problems = files.Problems(RecipeTestFiles.Minimal + """

            connectors:
              image: { depth: 2 }
              video: { type: mlp }
            """, "model.vision.path=v");
        Assert.Equal(
        [
            ("connectors.image.type", 12, "is required: the connector type (linear, mlp, resampler, window_resampler, downsample, moe)"),
            ("connectors.video", 13, "unknown connector 'video': connectors are named by modality; valid: image, audio"),
        ], RecipeTestFiles.Rows(problems));
    }

    [Fact]
    public void Wrong_types_and_out_of_range_numbers_name_the_expected_type_and_line()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems(RecipeTestFiles.Minimal + """

                lr: abc
                batch_size: 2.5
                epochs: -1
                clip: "1.0"
                gates: [mag]
                keep_last: [1]
            seed: 1.5
            dtype: fp64
            device: gpu
            """);
        Assert.Equal(
        [
            ("stages[0].lr", 11, "expected a number, got 'abc'"),
            ("stages[0].batch_size", 12, "expected a whole number, got '2.5'"),
            ("stages[0].clip", 14, "expected a number, got the string '1.0'"),
            ("stages[0].gates", 15, "expected a mapping, got a list"),
            ("stages[0].keep_last", 16, "expected a whole number, got a list"),
            ("seed", 17, "expected a whole number, got '1.5'"),
            ("device", 19, "'gpu' is not one of auto, cpu, cuda, cuda:N"),
            ("dtype", 18, "'fp64' is not one of fp32, bf16, fp16"),
            ("stages[0].epochs", 13, "must be at least 1, got -1"),
        ], RecipeTestFiles.Rows(problems));
    }

    [Fact]
    public void Missing_required_keys_are_named()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems("""
            name: tiny
            model:
              llm: { chat_template: chatml }
            data:
              train: { format: auto }
            """);
        Assert.Equal(
        [
            ("output_dir", null, "is required: the folder for checkpoints and logs"),
            ("model.llm.path", 3, "is required: the language model's checkpoint folder"),
            ("data.train.path", 5, "is required: the dataset file"),
            ("stages", null, "is required: at least one stage (name, train, lr, epochs or max_steps)"),
        ], RecipeTestFiles.Rows(problems));
        Assert.All(problems, p => Assert.Equal(Path.Combine(files.Folder, "recipe.yaml"), p.File));
    }

    [Fact]
    public void Names_must_be_unique_and_references_must_resolve()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems("""
            name: tiny
            output_dir: runs/tiny
            model:
              llm: { path: checkpoints/llm }
              vision: { path: checkpoints/clip }
            connectors:
              image: { type: mlp }
            adapters:
              - { name: moe, type: lora_mixture }
              - { name: moe, type: lora }
              - { name: gate, type: mag, component: connector:video }
              - { name: x, type: lorra }
            data:
              train: { path: data/train.jsonl }
            stages:
              - name: align
                train: [connector:video, adapter:foo, moe, "connector:*", "audio*", "llm.*.lora_A.*"]
                max_steps: 5
                gates: { mga: false }
                lr_groups: { "adapter:*": 1.0e-3, "vision:*": 1.0e-4 }
              - name: align
                train: []
                epochs: 1
              - name: third
                train: [llm]
            """);
        Assert.Equal(
        [
            ("adapters[1].name", 10, "adapter name 'moe' is already used by adapters[0]"),
            ("adapters[2].component", 11, "'connector:video' is not a component of this recipe (llm, vision, connector:image); did you mean 'connector:image'?"),
            ("adapters[3].type", 12, "'lorra' is not one of lora, ia3, lora_mixture, bottleneck, soft_moa, dense_moa, momae, mag; did you mean 'lora'?"),
            ("stages[0].train[0]", 17, "'connector:video' is not a component of this recipe (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x); did you mean 'connector:image'?"),
            ("stages[0].train[1]", 17, "'adapter:foo' is not a component of this recipe (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x); did you mean 'adapter:moe'?"),
            ("stages[0].train[2]", 17, "'moe' is not a component of this recipe (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x); did you mean 'adapter:moe'?"),
            ("stages[0].train[4]", 17, "'audio*' matches no component of this recipe (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x)"),
            ("stages[0].lr_groups.vision:*", 20, "'vision:*' matches no component of this recipe (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x)"),
            ("stages[0].gates.mga", 19, "'mga' is not the name of an adapter (moe, gate, x)"),
            ("stages[1].name", 21, "stage name 'align' is already used by stages[0]"),
            ("stages[1].train", 22, "is empty: the stage would train nothing; name components (llm, vision, connector:image, adapter:moe, adapter:gate, adapter:x) or parameter globs"),
            ("stages[2]", 24, "says neither epochs nor max_steps: give one (how long the stage trains)"),
        ], RecipeTestFiles.Rows(problems));
    }

    [Fact]
    public void Bad_names_from_closed_lists_list_the_valid_ones()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems(RecipeTestFiles.Minimal + """

                scheduler: exp
                objective: generate
            """, "data.on_truncate=cut");
        Assert.Equal(
        [
            ("data.on_truncate", null, "'cut' is not one of drop, error (from override 'data.on_truncate=cut')"),
            ("stages[0].scheduler", 11, "'exp' is not one of cosine, linear, constant"),
            ("stages[0].objective", 12, "'generate' is not one of lm, classify"),
        ], RecipeTestFiles.Rows(problems));
    }

    [Fact]
    public void Init_must_name_an_earlier_stage_and_exactly_one_source()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems("""
            name: tiny
            output_dir: runs/tiny
            model:
              llm: { path: checkpoints/llm }
            adapters:
              - { name: lora, type: lora }
              - { name: moe, type: lora_mixture }
            data:
              train: { path: data/train.jsonl }
            stages:
              - name: first
                train: [adapter:lora]
                max_steps: 5
                init: { "adapter:lora": { from_stage: second } }
              - name: second
                train: [adapter:moe]
                max_steps: 5
                init:
                  "adapter:moe": { from_stage: frist }
                  "adapter:lora": { from_stage: second }
                  "adapter:gone": { upcycle_from: adapter:moe }
                  "llm": { from_stage: first, from_file: w.safetensors }
                  "connector:image": { upcycle_from: adapter:lora }
            """);
        Assert.Equal(
        [
            ("stages[0].init.adapter:lora.from_stage", 14, "stage 'second' (stages[1]) does not run before this one; name an earlier stage"),
            ("stages[1].init.adapter:moe.from_stage", 19, "no stage is named 'frist'; did you mean 'first'?"),
            ("stages[1].init.adapter:lora.from_stage", 20, "stage 'second' (stages[1]) does not run before this one; name an earlier stage"),
            ("stages[1].init.adapter:gone", 21, "'adapter:gone' is not a component of this recipe (llm, adapter:lora, adapter:moe); did you mean 'adapter:moe'?"),
            ("stages[1].init.llm", 22, "gives 2 sources: give exactly one of from_stage, from_file, upcycle_from"),
            ("stages[1].init.connector:image", 23, "'connector:image' is not a component of this recipe (llm, adapter:lora, adapter:moe)"),
        ], RecipeTestFiles.Rows(problems));
    }

    [Fact]
    public void Classify_stages_need_a_head_and_lm_stages_refuse_one()
    {
        using var files = new RecipeTestFiles();
        var problems = files.Problems(RecipeTestFiles.Minimal + """

                objective: classify
              - name: second
                train: [llm]
                epochs: 1
                head: { component: audio, labels: 1 }
              - name: third
                objective: classify
                head: { component: audio, labels: 1 }
                train: [head]
                epochs: 1
            """);
        Assert.Equal(
        [
            ("stages[0].head", "is required for objective classify: { component: audio, labels: N, pooling: mean|cls }"),
            ("stages[1].head", "is only for objective classify (this stage's objective is lm)"),
            ("stages[2].head.component", "'audio' is not a component of this recipe (llm)"),
            ("stages[2].head.labels", "must be at least 2, got 1"),
        ], problems.Select(p => (p.Key, p.Message)));
    }

    [Fact]
    public void Malformed_yaml_names_the_file_and_line()
    {
        using var files = new RecipeTestFiles();
        foreach (var (text, line, message) in new[]
        {
            ("name: tiny\n  seed: 1\n", 2, "not valid YAML: While scanning a plain scalar value, found invalid mapping."),
            ("name: tiny\nseed: [1, 2\n", 3, "not valid YAML: While parsing a flow sequence, did not find expected ',' or ']'."),
            ("name: tiny\nseed: [1, 2\nstages: []\n", 2, "not valid YAML: the YAML cannot be parsed past this line (an unclosed bracket or quote?)"),
            ("name: tiny\nmodel:\n  llm: { path: x\nstages: []\n", 3, "not valid YAML: the YAML cannot be parsed past this line (an unclosed bracket or quote?)"),
            ("name: tiny\nseed: *nope\n", 2, "not valid YAML: alias *nope names no anchor"),
        })
        {
            var path = files.Write(text);
            var error = Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(path));
            var problem = Assert.Single(error.Problems);
            Assert.Equal((path, line), (problem.File, problem.Line!.Value));
            Assert.StartsWith(message + " (column ", problem.Message);
            Assert.Contains($"{path}:{line}: not valid YAML", error.Message);
        }

        var repeated = files.Problems(RecipeTestFiles.Minimal + "\nname: again\n");
        Assert.Equal(("name", 11, "key 'name' is repeated (first at line 1)"), (repeated[0].Key, repeated[0].Line!.Value, repeated[0].Message));

        var list = Assert.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(files.Write("- a\n- b\n", "list.yaml"))).Problems);
        Assert.Equal("a recipe is a mapping of keys (name, model, stages, ...), not a list", list.Message);
        var missing = Assert.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(Path.Combine(files.Folder, "none.yaml"))).Problems);
        Assert.Equal("recipe file not found", missing.Message);
        var extension = Assert.Single(Assert.Throws<RecipeException>(() => RecipeTestFiles.Load(files.Write("x", "recipe.txt"))).Problems);
        Assert.Equal("a recipe file ends in .yaml, .yml or .json, not '.txt'", extension.Message);
    }
}
