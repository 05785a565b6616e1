using Dsdr.Core.Failures;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Tokenizers;
using Dsdr.Learning.Tokenizers.Jinja;

namespace Dsdr.Learning.Data;

/// <summary>
/// Math prompts as the paper writes them for a chat model: one user turn (the problem, a newline, the instruction) rendered
/// by the checkpoint's own chat template with the generation prompt and enable_thinking (<see cref="ModelSpec.ChatTemplate"/>,
/// <see cref="ModelSpec.EnableThinking"/>, <see cref="ModelSpec.Instruction"/>). Training and evaluation read the same prompts.
/// </summary>
public static class MathChatPrompts
{
    /// <summary>The user turn: problem + "\n" + instruction.</summary>
    public static string UserTurn(string problem, string instruction) => $"{problem}\n{instruction}";

    /// <summary>The prompt text of one problem: template(messages = [user: UserTurn], add_generation_prompt = true, enable_thinking).</summary>
    public static string Render(ModelChatTemplate template, string problem, string instruction, bool enableThinking) =>
        template.Render([ChatMessage.User(UserTurn(problem, instruction))], addGenerationPrompt: true, enableThinking);

    /// <summary>
    /// The template a trial's math prompts go through: the checkpoint folder's, when the task is math, the model a checkpoint,
    /// chatTemplate auto and tokenizer_config.json has a chat_template; otherwise null (the raw problem text, as before).
    /// </summary>
    /// <exception cref="ChatTemplateException">tokenizer_config.json is malformed or its template outside our Jinja subset.</exception>
    public static ModelChatTemplate? TemplateFor(TaskSpec task, ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(model);
        if (task.Kind != TaskKind.Math || model.Checkpoint is not { } folder || model.ChatTemplate == ChatTemplateUse.None) return null;
        try { return ModelChatTemplate.LoadOrNull(folder); }
        catch (Exception e) when (e is JinjaTemplateException or InvalidDataException) { throw ChatTemplateException.From(e); }
    }

    /// <summary>Every training and held-out problem of <paramref name="data"/> with its prompt rendered by <paramref name="template"/>.</summary>
    /// <exception cref="ChatTemplateException">The template fails on a problem (raise_exception, a type error).</exception>
    public static TaskData Apply(TaskData data, ModelChatTemplate template, ModelSpec model)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<Problem> Rendered(IReadOnlyList<Problem> problems) =>
            problems.Select(p => p with { Prompt = Render(template, p.Prompt, model.Instruction, model.EnableThinking) }).ToList();
        try
        {
            return data with
            {
                Train = Rendered(data.Train),
                HeldOut = data.HeldOut.ToDictionary(b => b.Key, b => Rendered(b.Value), StringComparer.Ordinal),
            };
        }
        catch (JinjaTemplateException e) { throw ChatTemplateException.From(e, template.Origin); }
    }
}

/// <summary>A checkpoint's chat template cannot be read or rendered: bad input (the model folder), so deterministic, not retried.</summary>
public sealed class ChatTemplateException(string message, Exception inner) : DeterministicFailureException(message, inner)
{
    /// <param name="origin">The template's file, put before the cause's message when it does not name it (raise_exception).</param>
    public static ChatTemplateException From(Exception cause, string? origin = null) => new(
        $"model.chatTemplate: the checkpoint's chat template cannot be used: {(origin is null || cause.Message.Contains(origin, StringComparison.Ordinal) ? "" : origin + ": ")}{cause.Message} Fix tokenizer_config.json's chat_template, or set model.chatTemplate to \"none\" to train on the raw problem text.", cause);
}
