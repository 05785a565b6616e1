namespace Dsdr.Core.Tasks;

/// <summary>How a synthetic problem is put to a model.</summary>
public enum PromptStyle
{
    /// <summary>Terse, for character-level models with a tiny alphabet and a short context.</summary>
    Compact,
    /// <summary>A natural-language instruction for pretrained language models.</summary>
    Verbose,
}
