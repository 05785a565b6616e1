using System.Text;

namespace Dsdr.Learning.Tokenizers;

/// <summary>One turn of a conversation. Role is "system", "user" or "assistant".</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static ChatMessage System(string content) => new("system", content);
    public static ChatMessage User(string content) => new("user", content);
    public static ChatMessage Assistant(string content) => new("assistant", content);
}

/// <summary>
/// Turns a conversation into the prompt text a chat model was trained on.
/// <see cref="Qwen"/> is ChatML as Qwen2/Qwen2.5 write it, without tools:
/// <code>
/// &lt;|im_start|&gt;system\n{system}&lt;|im_end|&gt;\n
/// &lt;|im_start|&gt;user\n{user}&lt;|im_end|&gt;\n
/// &lt;|im_start|&gt;assistant\n{assistant}&lt;|im_end|&gt;\n      (one block per message, in order)
/// &lt;|im_start|&gt;assistant\n                         (only with addGenerationPrompt)
/// </code>
/// When the first message is not a system message and <see cref="DefaultSystemPrompt"/> is set, a system
/// block with it comes first (Qwen2.5-Instruct's template uses "You are Qwen, created by Alibaba Cloud. You
/// are a helpful assistant."; Qwen2.5-Math-Instruct "Please reason step by step, and put your final answer
/// within \boxed{}." is usually given explicitly). <see cref="Qwen"/> itself adds none.
/// </summary>
public sealed record ChatTemplate(string? DefaultSystemPrompt = null)
{
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    private static readonly string[] Roles = ["system", "user", "assistant"];

    /// <summary>Qwen's ChatML with no default system prompt.</summary>
    public static ChatTemplate Qwen { get; } = new();

    /// <summary>Qwen2.5-Instruct's template: its default system prompt when none is given.</summary>
    public static ChatTemplate Qwen25Instruct { get; } = new("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");

    public string Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new StringBuilder();
        if (DefaultSystemPrompt is not null && (messages.Count == 0 || messages[0].Role != "system"))
            AppendBlock(text, "system", DefaultSystemPrompt);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (!Roles.Contains(m.Role))
                throw new ArgumentException($"Message {i} has role \"{m.Role}\"; the Qwen chat template takes {string.Join(", ", Roles)}.", nameof(messages));
            if (m.Role == "system" && i > 0)
                throw new ArgumentException($"Message {i} is a system message; a system message may only come first.", nameof(messages));
            AppendBlock(text, m.Role, m.Content);
        }
        if (addGenerationPrompt) text.Append(ImStart).Append("assistant\n");
        return text.ToString();
    }

    private static void AppendBlock(StringBuilder text, string role, string content) =>
        text.Append(ImStart).Append(role).Append('\n').Append(content).Append(ImEnd).Append('\n');
}
