using System.Text.Json;
using Dsdr.Learning.Tokenizers;
using Dsdr.Learning.Tokenizers.Jinja;
using Dsdr.Tests.Shared;
using Xunit;

namespace Dsdr.Learning.Tests.Tokenizers;

/// <summary>Qwen3's real chat template rendered by our Jinja subset against npm @huggingface/jinja: byte-identical text.</summary>
public sealed class ModelChatTemplateParityTests
{
    private static List<(ChatMessage[] Messages, bool Generation, bool? Thinking)> Cases()
    {
        List<ChatMessage[]> conversations =
        [
            [ChatMessage.User("What is $1+1$?")],
            [ChatMessage.System("Please reason step by step, and put your final answer within \\boxed{}."), ChatMessage.User("Solve x^2=4.")],
            [ChatMessage.User("hi"), ChatMessage.Assistant("hello"), ChatMessage.User("again")],
            [ChatMessage.User("q"), ChatMessage.Assistant("<think>\nstep 1\nstep 2\n</think>\n\nThe answer is \\boxed{2}.")],
            [ChatMessage.System("S"), ChatMessage.User("a"), ChatMessage.Assistant("<think>\nr1\n</think>\n\nb"), ChatMessage.User("c"), ChatMessage.Assistant("<think>\n\nr2\n\n</think>\n\n\nd")],
            [ChatMessage.User("你好 🤖 \"quotes\" {{ not a tag }}"), ChatMessage.Assistant("no think block")],
        ];
        return [.. from c in conversations from g in new[] { true, false } from t in new bool?[] { null, true, false } select (c, g, t)];
    }

    [NodeFact]
    public void Our_rendering_equals_the_reference_on_Qwen3s_own_template()
    {
        var cases = Cases();
        var input = Path.Combine(Path.GetTempPath(), $"dsdr-chat-cases-{Guid.NewGuid():N}.json");
        File.WriteAllText(input, JsonSerializer.Serialize(cases.Select(c => new Dictionary<string, object?>
        {
            ["messages"] = c.Messages.Select(m => new { role = m.Role, content = m.Content }).ToList(),
            ["add_generation_prompt"] = c.Generation,
            ["enable_thinking"] = c.Thinking,
        })));
        try
        {
            using var reference = JsonDocument.Parse(NodeReference.Script("chat-template.mjs", input));
            var template = ModelChatTemplate.LoadOrNull(reference.RootElement.GetProperty("models").GetString()!)!;
            var expected = reference.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
            var differing = cases.Select((c, i) => (i, ours: template.Render(c.Messages, c.Generation, c.Thinking)))
                .Where(p => p.ours != expected[p.i]).Select(p => $"#{p.i}: ours {JsonSerializer.Serialize(p.ours)} reference {JsonSerializer.Serialize(expected[p.i])}").ToList();
            Assert.Equal(36, cases.Count);
            Assert.True(differing.Count == 0, $"{differing.Count} of {cases.Count} differ:\n{string.Join('\n', differing)}");
        }
        finally { File.Delete(input); }
    }

    [Fact]
    public void An_unsupported_construct_is_named_with_the_file()
    {
        var e = Assert.Throws<JinjaTemplateException>(() => ModelChatTemplate.FromSource("{% macro m() %}x{% endmacro %}", "t.json"));
        Assert.Contains("t.json", e.Message);
        Assert.Contains("macro", e.Message);
    }
}
