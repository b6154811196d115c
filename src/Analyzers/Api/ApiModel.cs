using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a call turned out to be: the operation, how it reports failure, and a name for messages.</summary>
    internal readonly struct ApiCall
    {
        public static readonly ApiCall None = default;

        public ApiCall(ApiOperation operation, ResultShape shape, string displayName)
        {
            Operation = operation;
            Shape = shape;
            DisplayName = displayName;
        }

        public ApiOperation Operation { get; }

        public ResultShape Shape { get; }

        public string DisplayName { get; }

        public bool IsRecognized => Operation != ApiOperation.None;
    }

    /// <summary>
    /// <see cref="ApiTable"/> applied to one compilation: classifies invoked methods (cached per symbol, thread-safe)
    /// and knows the names a method body must mention for it to be worth analysing.
    /// </summary>
    internal sealed class ApiModel
    {
        private const string GuidAttributeName = "System.Runtime.InteropServices.GuidAttribute";
        private const string LibraryImportAttributeName = "System.Runtime.InteropServices.LibraryImportAttribute";

        private static readonly SymbolDisplayFormat FullNameFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

        private readonly ConcurrentDictionary<IMethodSymbol, ApiCall> _cache =
            new ConcurrentDictionary<IMethodSymbol, ApiCall>(SymbolEqualityComparer.Default);

        private readonly ConcurrentDictionary<IMethodSymbol, string> _fullNames =
            new ConcurrentDictionary<IMethodSymbol, string>(SymbolEqualityComparer.Default);

        private ApiModel(ImmutableHashSet<string> candidateNames)
        {
            CandidateNames = candidateNames;
        }

        /// <summary>
        /// The simple names a call must have to possibly be recognised: the COM method names and entry points of the
        /// table, and the names of source P/Invokes that rename a recognised entry point. A body that calls none of
        /// them is never given an operation tree or a control-flow graph.
        /// </summary>
        public ImmutableHashSet<string> CandidateNames { get; }

        /// <summary>
        /// The compilation-start gate: returns null (and the analyzer registers nothing) when the compilation can
        /// contain no recognised call. Cheap: declaration-table name look-ups, referenced assemblies' type-name
        /// lists, and a plain text search for the native entry points (to find renamed P/Invokes).
        /// </summary>
        public static ApiModel? TryCreate(Compilation compilation, AnalyzerConfigOptionsProvider optionsProvider, CancellationToken cancellationToken)
        {
            var tableNames = new HashSet<string>(StringComparer.Ordinal);
            var entryPoints = new List<string>();
            var interfaceNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (ApiForm form in ApiTable.Forms)
            {
                tableNames.Add(form.Name);
                if (form.Kind == ApiFormKind.NativeFunction)
                {
                    entryPoints.Add(form.Name);
                }
                else if (form.ComInterface is { } identity)
                {
                    foreach (string fullName in identity.KnownFullNames)
                    {
                        interfaceNames.Add(fullName.Substring(fullName.LastIndexOf('.') + 1));
                    }
                }
            }

            var candidates = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            candidates.UnionWith(tableNames);

            bool present = compilation.ContainsSymbolsWithName(name => tableNames.Contains(name), SymbolFilter.Member, cancellationToken);

            if (!present)
            {
                foreach (MetadataReference reference in compilation.References)
                {
                    if (compilation.GetAssemblyOrModuleSymbol(reference) is IAssemblySymbol assembly
                        && ReferencesRecognisedTypes(assembly, interfaceNames))
                    {
                        present = true;
                        break;
                    }
                }
            }

            // Methods the user names in .editorconfig / .globalconfig count as recognised calls.
            if (!present && ApiOptions.Read(optionsProvider.GlobalOptions).HasAdditionalMethods)
            {
                present = true;
            }

            // A source P/Invoke may rename its entry point: [DllImport("ole32", EntryPoint = "CoImpersonateClient")] static extern int Impersonate();
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (MentionsAny(tree, entryPoints, cancellationToken))
                {
                    present = true;
                    CollectRenamedImports(tree, entryPoints, candidates, cancellationToken);
                }

                if (!present && ApiOptions.Read(optionsProvider.GetOptions(tree)).HasAdditionalMethods)
                {
                    present = true;
                }
            }

            return present ? new ApiModel(candidates.ToImmutable()) : null;
        }

        /// <summary>Classifies a called method by the table. Never matches by name alone.</summary>
        public ApiCall Classify(IMethodSymbol method)
        {
            return _cache.GetOrAdd(method.OriginalDefinition, static m => ClassifyUncached(m));
        }

        /// <summary>Classifies a called method by the table, then by the methods the options name.</summary>
        public ApiCall Classify(IMethodSymbol method, ApiOptions options)
        {
            ApiCall call = Classify(method);
            if (call.IsRecognized || !options.HasAdditionalMethods || method.ContainingType is null)
            {
                return call;
            }

            IMethodSymbol definition = method.OriginalDefinition;
            string fullName = _fullNames.GetOrAdd(definition, static m => m.ContainingType.ToDisplayString(FullNameFormat) + "." + m.Name);
            ApiOperation operation = options.OperationOf(fullName);
            return operation == ApiOperation.None
                ? ApiCall.None
                : new ApiCall(operation, ShapeOf(definition.ReturnType), definition.ContainingType.Name + "." + definition.Name);
        }

        /// <summary>True when <paramref name="method"/> runs its delegate arguments on another thread.</summary>
        public bool IsThreadHandoff(IMethodSymbol method)
        {
            IMethodSymbol definition = method.OriginalDefinition;
            INamedTypeSymbol? type = definition.ContainingType;
            if (type is null)
            {
                return false;
            }

            string? typeName = null;
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == definition.Name)
                {
                    typeName ??= type.OriginalDefinition.ToDisplayString(FullNameFormat);
                    if (handoff.TypeName == typeName)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// A method's name without an explicit implementation's interface prefix: <c>AsyncIFoo.Finish_X</c> is
        /// <c>Finish_X</c>. SPEC §2 recognises Begin_/Finish_ methods by this name alone.
        /// </summary>
        public static string SimpleName(IMethodSymbol method) =>
            method.ExplicitInterfaceImplementations.Length > 0 ? method.ExplicitInterfaceImplementations[0].Name : method.Name;

        /// <summary>A <c>Finish_X</c> method (SPEC §2): it runs after Signal, when the call context is gone.</summary>
        public static bool IsFinishMethod(ISymbol symbol) =>
            symbol is IMethodSymbol method
            && SimpleName(method) is { Length: > 7 } name
            && name.StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal);

        /// <summary>A method COM calls (Begin_ or Finish_), not code that could revert after it.</summary>
        public static bool IsComEntryPoint(IMethodSymbol? method) =>
            method is not null
            && (SimpleName(method).StartsWith(ApiTable.BeginPrefix, StringComparison.Ordinal)
                || SimpleName(method).StartsWith(ApiTable.FinishPrefix, StringComparison.Ordinal));

        /// <summary><c>IServerSecurity.IsImpersonating()</c>: asks the call context whether the thread impersonates.</summary>
        public bool IsImpersonationQuery(IMethodSymbol method) =>
            method.Name == "IsImpersonating"
            && !method.IsStatic
            && method.ContainingType is { TypeKind: TypeKind.Interface or TypeKind.Struct } type
            && IsOrDerivesFrom(type, ApiTable.IServerSecurity);

        /// <summary>True when a call by this simple name could be a thread hand-off (for the syntactic pre-check).</summary>
        public static bool IsThreadHandoffName(string name)
        {
            foreach (ThreadHandoff handoff in ApiTable.ThreadHandoffs)
            {
                if (handoff.MethodName == name)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True for the HRESULT helpers that throw only when the result says failure.</summary>
        public static bool IsThrowOnFailure(IMethodSymbol method) => ApiTable.ThrowOnFailureMethods.Contains(method.Name);

        /// <summary>The simple name of the method an invocation calls, as written (for the syntactic pre-check).</summary>
        public static string? InvokedName(InvocationExpressionSyntax invocation)
        {
            ExpressionSyntax expression = invocation.Expression;
            while (true)
            {
                switch (expression)
                {
                    case SimpleNameSyntax simple:
                        return simple.Identifier.ValueText;
                    case MemberAccessExpressionSyntax access:
                        return access.Name.Identifier.ValueText;
                    case MemberBindingExpressionSyntax binding:
                        return binding.Name.Identifier.ValueText;
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang:
                        expression = bang.Operand;
                        continue;
                    default:
                        return null;
                }
            }
        }

        private static ApiCall ClassifyUncached(IMethodSymbol method)
        {
            if (method.MethodKind != MethodKind.Ordinary)
            {
                return ApiCall.None;
            }

            if (method.IsStatic)
            {
                return TryGetNativeImport(method, out string? entryPoint, out string? library)
                    ? ClassifyNative(method, entryPoint!, library)
                    : ApiCall.None;
            }

            INamedTypeSymbol? type = method.ContainingType;
            if (type is null || (type.TypeKind != TypeKind.Interface && type.TypeKind != TypeKind.Struct))
            {
                // A class that implements IServerSecurity is a managed call context, not the COM API.
                return ApiCall.None;
            }

            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.ComMethod
                    && string.Equals(method.Name, form.Name, StringComparison.Ordinal)
                    && IsOrDerivesFrom(type, form.ComInterface!))
                {
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType), type.Name + "." + method.Name);
                }
            }

            return ApiCall.None;
        }

        private static ApiCall ClassifyNative(IMethodSymbol method, string entryPoint, string? library)
        {
            foreach (ApiForm form in ApiTable.Forms)
            {
                if (form.Kind == ApiFormKind.NativeFunction
                    && string.Equals(entryPoint, form.Name, StringComparison.Ordinal)
                    && form.Libraries!.Matches(library))
                {
                    string display = string.Equals(method.Name, entryPoint, StringComparison.Ordinal)
                        ? entryPoint
                        : method.Name + " (" + entryPoint + ")";
                    return new ApiCall(form.Operation, ShapeOf(method.ReturnType), display);
                }
            }

            return ApiCall.None;
        }

        private static bool TryGetNativeImport(IMethodSymbol method, out string? entryPoint, out string? library)
        {
            DllImportData? dllImport = method.GetDllImportData();
            if (dllImport is not null)
            {
                entryPoint = dllImport.EntryPointName ?? method.Name;
                library = dllImport.ModuleName;
                return true;
            }

            IMethodSymbol declaration = method.PartialDefinitionPart ?? method;
            foreach (AttributeData attribute in declaration.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == LibraryImportAttributeName)
                {
                    library = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null;
                    entryPoint = method.Name;
                    foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                    {
                        if (named.Key == "EntryPoint" && named.Value.Value is string renamed)
                        {
                            entryPoint = renamed;
                        }
                    }

                    return true;
                }
            }

            entryPoint = null;
            library = null;
            return false;
        }

        private static bool IsOrDerivesFrom(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            if (Identifies(type, identity))
            {
                return true;
            }

            if (type.TypeKind == TypeKind.Interface)
            {
                foreach (INamedTypeSymbol baseInterface in type.AllInterfaces)
                {
                    if (Identifies(baseInterface, identity))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>[Guid] first: a type with a GuidAttribute is identified by it alone; otherwise by its full name.</summary>
        private static bool Identifies(INamedTypeSymbol type, ComInterfaceIdentity identity)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass is { Name: "GuidAttribute" } attributeClass
                    && attributeClass.ToDisplayString(FullNameFormat) == GuidAttributeName)
                {
                    return attribute.ConstructorArguments.Length == 1
                        && attribute.ConstructorArguments[0].Value is string text
                        && Guid.TryParse(text, out Guid guid)
                        && identity.Guids.Contains(guid);
                }
            }

            string fullName = type.ToDisplayString(FullNameFormat);
            return identity.KnownFullNames.Contains(fullName);
        }

        internal static ResultShape ShapeOf(ITypeSymbol returnType)
        {
            switch (returnType.SpecialType)
            {
                case SpecialType.System_Void:
                    return ResultShape.Throws;
                case SpecialType.System_Int32:
                    return ResultShape.Int32;
                case SpecialType.System_UInt32:
                    return ResultShape.UInt32;
            }

            return returnType.TypeKind == TypeKind.Struct && returnType.Name == "HRESULT"
                ? ResultShape.HResultStruct
                : ResultShape.Other;
        }

        private static bool ReferencesRecognisedTypes(IAssemblySymbol assembly, HashSet<string> interfaceNames)
        {
            foreach (string typeName in assembly.TypeNames)
            {
                if (interfaceNames.Contains(typeName))
                {
                    return true;
                }
            }

            // Vanara declares CoImpersonateClient on its Ole32 class.
            return assembly.GetTypeByMetadataName("Vanara.PInvoke.Ole32") is not null;
        }

        private static bool MentionsAny(SyntaxTree tree, List<string> words, CancellationToken cancellationToken)
        {
            string text = tree.GetText(cancellationToken).ToString();
            foreach (string word in words)
            {
                if (text.IndexOf(word, StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static void CollectRenamedImports(SyntaxTree tree, List<string> entryPoints, ImmutableHashSet<string>.Builder names, CancellationToken cancellationToken)
        {
            foreach (SyntaxNode node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is not BlockSyntax && n is not ArrowExpressionClauseSyntax))
            {
                if (node is MethodDeclarationSyntax method && method.AttributeLists.Count > 0)
                {
                    foreach (AttributeListSyntax list in method.AttributeLists)
                    {
                        foreach (AttributeSyntax attribute in list.Attributes)
                        {
                            if (attribute.ArgumentList is null)
                            {
                                continue;
                            }

                            foreach (AttributeArgumentSyntax argument in attribute.ArgumentList.Arguments)
                            {
                                if (argument.Expression is LiteralExpressionSyntax literal
                                    && literal.Token.Value is string value
                                    && entryPoints.Contains(value))
                                {
                                    names.Add(method.Identifier.ValueText);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
