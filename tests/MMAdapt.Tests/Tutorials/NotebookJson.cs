using System.Text.Json;

namespace MMAdapt.Tests.Tutorials;

/// <summary>Small Polyglot Notebook (<c>.ipynb</c>) texts for the converter's tests.</summary>
internal static class NotebookJson
{
    /// <summary>A notebook of the given cells, default kernel C# as Polyglot Notebooks writes it.</summary>
    public static string Of(params string[] cells) => WithDefaultKernel("csharp", cells);

    public static string WithDefaultKernel(string kernel, params string[] cells) => $$"""
        {
          "cells": [{{string.Join(",\n", cells)}}],
          "metadata": { "polyglot_notebook": { "kernelInfo": { "defaultKernelName": "{{kernel}}", "items": [] } } },
          "nbformat": 4,
          "nbformat_minor": 2
        }
        """;

    /// <summary>A code cell; <paramref name="kernel"/> null leaves out the cell's kernel (the notebook default applies).</summary>
    public static string Code(string source, string? kernel = "csharp") => kernel is null
        ? $$"""{ "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": {{JsonSerializer.Serialize(source)}} }"""
        : $$"""{ "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "{{kernel}}" } }, "outputs": [], "source": {{JsonSerializer.Serialize(source)}} }""";

    public static string Markdown(string source) =>
        $$"""{ "cell_type": "markdown", "metadata": {}, "source": {{JsonSerializer.Serialize(source)}} }""";
}
