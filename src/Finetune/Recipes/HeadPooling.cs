namespace MMAdapt.Finetune.Recipes;

/// <summary>How a <see cref="ClassifyHead"/> turns a component's token features into one vector per sample.</summary>
public enum HeadPooling
{
    /// <summary><c>mean</c>: the mean over the (unpadded) tokens.</summary>
    Mean,

    /// <summary><c>cls</c>: the first token (a class token, as AST and ViT put there).</summary>
    Cls,
}
