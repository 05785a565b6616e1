using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Tests.Tokenizers;

public class ChatTemplateTests
{
    [Fact]
    public void FormatsQwenChatMl()
    {
        var text = ChatTemplate.Qwen.Format(
            [ChatMessage.System("Please reason step by step."), ChatMessage.User("What is 2+2?")], addGenerationPrompt: true);
        Assert.Equal(
            "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            text);
    }

    [Fact]
    public void ClosesAssistantTurnsAndOmitsThePromptWhenAsked()
    {
        var text = ChatTemplate.Qwen.Format([ChatMessage.User("hi"), ChatMessage.Assistant("hello")], addGenerationPrompt: false);
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n", text);
    }

    [Fact]
    public void AddsTheDefaultSystemPromptOnlyWhenNoneIsGiven()
    {
        var withDefault = ChatTemplate.Qwen25Instruct.Format([ChatMessage.User("hi")], addGenerationPrompt: true);
        Assert.StartsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi", withDefault);
        var own = ChatTemplate.Qwen25Instruct.Format([ChatMessage.System("S"), ChatMessage.User("hi")], addGenerationPrompt: false);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n", own);
    }

    [Fact]
    public void RejectsUnknownRolesAndLateSystemMessages()
    {
        Assert.Contains("role \"tool\"", Assert.Throws<ArgumentException>(() => ChatTemplate.Qwen.Format([new ChatMessage("tool", "x")], true)).Message);
        Assert.Throws<ArgumentException>(() => ChatTemplate.Qwen.Format([ChatMessage.User("a"), ChatMessage.System("b")], true));
    }

    [Fact]
    public void TemplateTokensEncodeAsSpecialIds()
    {
        var tok = HfTokenizer.Load(TinyTokenizerJson.WriteFolder(TinyTokenizerJson.Build(qwenStyle: true)));
        var ids = tok.Encode(ChatTemplate.Qwen.Format([ChatMessage.User("hello")], addGenerationPrompt: true));
        Assert.Equal(2, ids.Count(id => id == TinyTokenizerJson.ImStart));
        Assert.Single(ids, TinyTokenizerJson.ImEnd);
        Assert.Equal("user\nhello\nassistant\n", tok.Decode(ids));
    }
}
