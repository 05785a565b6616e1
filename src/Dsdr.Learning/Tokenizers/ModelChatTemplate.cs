using System.Text.Json;
using Dsdr.Learning.Tokenizers.Jinja;

namespace Dsdr.Learning.Tokenizers;

/// <summary>
/// The chat template a model ships in its tokenizer_config.json ("chat_template"), rendered by our Jinja subset
/// (<see cref="JinjaTemplate"/>) with the variables transformers' apply_chat_template passes: messages,
/// add_generation_prompt, tools and documents (none), bos_token and eos_token when the config sets them, and
/// enable_thinking when it is set.
/// </summary>
public sealed class ModelChatTemplate
{
    public const string FileName = "tokenizer_config.json";

    private readonly JinjaTemplate template;

    private ModelChatTemplate(JinjaTemplate template, string? bosToken, string? eosToken)
    {
        this.template = template;
        BosToken = bosToken;
        EosToken = eosToken;
    }

    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>Where the template came from, as errors name it.</summary>
    public string Origin => template.Origin;

    /// <summary>A template given as text (tests, a spec's own template).</summary>
    public static ModelChatTemplate FromSource(string source, string origin, string? bosToken = null, string? eosToken = null) =>
        new(JinjaTemplate.Parse(source, origin), bosToken, eosToken);

    /// <summary>folder/tokenizer_config.json's template; null when the folder has no such file or the file no chat_template.</summary>
    /// <exception cref="JinjaTemplateException">The template uses a construct our subset does not render, or is malformed.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON, or chat_template has an unexpected shape.</exception>
    public static ModelChatTemplate? LoadOrNull(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        JsonDocument config;
        try { config = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e); }
        using (config)
        {
            var root = config.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("chat_template", out var chat) || chat.ValueKind == JsonValueKind.Null) return null;
            var source = chat.ValueKind switch
            {
                JsonValueKind.String => chat.GetString()!,
                JsonValueKind.Array => NamedDefault(chat, path),
                _ => throw new InvalidDataException($"{path}: \"chat_template\" must be a string or a list of {{name, template}}, got {chat.ValueKind}."),
            };
            return new ModelChatTemplate(JinjaTemplate.Parse(source, $"{path} (chat_template)"), Token(root, "bos_token"), Token(root, "eos_token"));
        }
    }

    // [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]: the default one.
    private static string NamedDefault(JsonElement list, string path)
    {
        var named = list.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out _) && t.TryGetProperty("template", out _))
            .ToDictionary(t => t.GetProperty("name").GetString() ?? "", t => t.GetProperty("template").GetString() ?? "");
        return named.TryGetValue("default", out var source) ? source
            : throw new InvalidDataException($"{path}: \"chat_template\" lists the templates [{string.Join(", ", named.Keys)}] but none is named \"default\".");
    }

    // "eos_token": "<|im_end|>" or {"content": "<|im_end|>", ...} or null
    private static string? Token(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var token) ? null
        : token.ValueKind == JsonValueKind.String ? token.GetString()
        : token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) ? content.GetString()
        : null;

    /// <summary>The prompt text of a conversation, as apply_chat_template(messages, tokenize=False) returns it.</summary>
    /// <param name="enableThinking">Passed as enable_thinking when set (Qwen3: false adds an empty think block); null leaves it undefined.</param>
    /// <exception cref="JinjaTemplateException">The template failed on this conversation (raise_exception, a type error); names file and line.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, bool? enableThinking = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages.Select(m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        // as transformers' special_tokens_map: a token the config leaves null is not passed
        if (BosToken is not null) variables["bos_token"] = BosToken;
        if (EosToken is not null) variables["eos_token"] = EosToken;
        if (enableThinking is { } thinking) variables["enable_thinking"] = thinking;
        return template.Render(variables);
    }
}
