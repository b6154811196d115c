using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// <see cref="ApiTable"/> applied to one compilation: classifies invoked methods (cached per symbol, thread-safe)
    /// and knows the names a method body must mention for it to be worth analysing.
    /// </summary>
    internal sealed partial class ApiModel
    {
        private const string GuidAttributeName = "System.Runtime.InteropServices.GuidAttribute";
        private const string LibraryImportAttributeName = "System.Runtime.InteropServices.LibraryImportAttribute";

        private static readonly SymbolDisplayFormat FullNameFormat = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);

        private readonly ConcurrentDictionary<IMethodSymbol, ApiCall> _cache =
            new ConcurrentDictionary<IMethodSymbol, ApiCall>(SymbolEqualityComparer.Default);

        private readonly ConcurrentDictionary<IMethodSymbol, string> _fullNames =
            new ConcurrentDictionary<IMethodSymbol, string>(SymbolEqualityComparer.Default);

        // The trees whose text the gate found mentioning a gate word, or written with a Unicode escape (which can spell
        // any name). Only these can mention a name that contains a gate word: see MayMention.
        private readonly HashSet<SyntaxTree> _gateWordTrees;

        private ApiModel(ImmutableHashSet<string> candidateNames, ImmutableHashSet<string> indexSeeds, HashSet<SyntaxTree> gateWordTrees)
        {
            CandidateNames = candidateNames;
            IndexSeeds = indexSeeds;
            _gateWordTrees = gateWordTrees;
        }

        /// <summary>
        /// The candidate names the wrapper-name index grows from: all but those of the SSPI, NT native and NtApiDotNet /
        /// NtCoreLib rows. In a code base that implements them (NtCoreLib declares the NT calls and calls its own
        /// Impersonate…) the index, which goes by name, would grow from them through half the code. Their direct calls
        /// are still analysed; a caller that only calls a helper around one is not (see docs/analysis-model.md).
        /// </summary>
        public ImmutableHashSet<string> IndexSeeds { get; }

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
            var declarableNames = new HashSet<string>(StringComparer.Ordinal);
            var entryPoints = new List<string>();
            var interfaceNames = new HashSet<string>(StringComparer.Ordinal);
            var candidates = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            var contextNames = new List<string>();
            var otherNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (ApiForm form in ApiTable.Forms)
            {
                switch (form.Kind)
                {
                    case ApiFormKind.NativeFunction:
                        entryPoints.Add(form.Name);
                        declarableNames.Add(form.Name);
                        candidates.Add(form.Name);
                        if (!form.SeedsWrapperIndex)
                        {
                            contextNames.Add(form.Name); // see IndexSeeds
                        }

                        break;
                    case ApiFormKind.ComMethod:
                        declarableNames.Add(form.Name);
                        candidates.Add(form.Name);
                        foreach (string fullName in form.ComInterface!.KnownFullNames)
                        {
                            interfaceNames.Add(fullName.Substring(fullName.LastIndexOf('.') + 1));
                        }

                        break;
                    case ApiFormKind.ManagedMethod when form.Operation == ApiOperation.Impersonate:
                        // Not Undo / Dispose: a body that only reverts has nothing to report, and every body disposes.
                        // Only when the compilation can call it: WindowsIdentity.Impersonate is .NET Framework's, and a
                        // project whose references have no such method may well call its own methods Impersonate.
                        if (Declares(compilation, form.TypeName!, form.Name))
                        {
                            candidates.Add(form.Name);
                            otherNames.Add(form.Name);
                        }

                        break;
                    case ApiFormKind.ContextMethod when form.Operation == ApiOperation.Impersonate:
                        // NtApiDotNet / NtCoreLib: only when the compilation has their ThreadImpersonationContext.
                        if (HasContextType(compilation))
                        {
                            candidates.Add(form.Name);
                            contextNames.Add(form.Name);
                        }

                        break;
                }
            }

            foreach (ImpersonatedRunner runner in ApiTable.ImpersonatedRunners)
            {
                if (Declares(compilation, runner.TypeName, runner.MethodName))
                {
                    candidates.Add(runner.MethodName);
                }
            }

            bool present = compilation.ContainsSymbolsWithName(name => declarableNames.Contains(name), SymbolFilter.Member, cancellationToken);

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

            // Every call of a native or .NET form, and every P/Invoke declaration (renamed or not), contains one of
            // the gate words: [DllImport("advapi32", EntryPoint = "ImpersonateLoggedOnUser")] static extern bool Become(IntPtr t);
            var gateWordTrees = new HashSet<SyntaxTree>();
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string text = tree.GetText(cancellationToken).ToString();
                if (ContainsAny(text, ApiTable.GateWords))
                {
                    present = true;
                    gateWordTrees.Add(tree);
                    CollectRenamedImports(tree, entryPoints, candidates, cancellationToken);
                }
                else if (HasUnicodeEscape(text))
                {
                    gateWordTrees.Add(tree);
                }

                if (!present && ApiOptions.Read(optionsProvider.GetOptions(tree)).HasAdditionalMethods)
                {
                    present = true;
                }
            }

            if (!present)
            {
                return null;
            }

            ImmutableHashSet<string> candidateNames = candidates.ToImmutable();
            // A context-method name stays a seed only where another form (WindowsIdentity.Impersonate) made it a candidate.
            ImmutableHashSet<string> indexSeeds = candidateNames.Except(contextNames.Where(name => !otherNames.Contains(name)));
            return new ApiModel(candidateNames, indexSeeds, gateWordTrees);
        }

        /// <summary>
        /// Does a type of this full name, in source or in a referenced assembly, declare a member of this name? A call
        /// is classified as a .NET form only when the method it calls is declared on the form's type (by full name).
        /// </summary>
        private static bool HasContextType(Compilation compilation)
        {
            foreach (string contextType in ApiTable.ThreadImpersonationContextTypes)
            {
                if (!compilation.GetTypesByMetadataName(contextType).IsEmpty)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Declares(Compilation compilation, string typeFullName, string memberName)
        {
            foreach (INamedTypeSymbol type in compilation.GetTypesByMetadataName(typeFullName))
            {
                if (!type.GetMembers(memberName).IsEmpty)
                {
                    return true;
                }
            }

            return false;
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

        /// <summary>
        /// Classifies a call as the code fixes read it: as <see cref="Classify(IInvocationOperation, ApiOptions)"/>, and
        /// <c>SetThreadToken(…, saved)</c> with a token the member saved by <c>OpenThreadToken</c> is a revert, as is
        /// <c>NtSetInformationThread(…, ref noToken, …)</c> with a local that holds no token. The semantic model is the
        /// call's tree's.
        /// </summary>
        public ApiCall Classify(IInvocationOperation invocation, ApiOptions options, SemanticModel semanticModel, CancellationToken cancellationToken = default)
        {
            // The code fixes read a restore by syntax: SetThreadToken(…, saved) where the member saved `saved` with
            // OpenThreadToken. The analysis decides it along each path instead (a later write of the local makes it
            // a new token), from the call's TokenArgument.
            ApiCall call = Classify(invocation, options);
            if (call.Operation != ApiOperation.Impersonate || call.TokenArgument < 0 || ArgumentFor(invocation, call.TokenArgument) is not { } token)
            {
                return call;
            }

            bool reverts = call.ArgumentRule switch
            {
                ArgumentRule.NoTokenReverts => IsSavedThreadToken(token, invocation, semanticModel),
                // NtSetInformationThread(…, ref noToken, …): the analysis reads the same local facts (BodyModelBuilder).
                ArgumentRule.ThreadImpersonationTokenClass => OperationValues.WithoutConversions(token) is ILocalReferenceOperation { Local: var local }
                    && HoldsNoToken(local, semanticModel, cancellationToken),
                _ => false,
            };
            return reverts ? call.With(ApiOperation.Revert, call.Kind) : call;
        }

        /// <summary>
        /// Classifies a call for the analysis: its method by the table and the options, then what its arguments say
        /// (<c>SetThreadToken(…, null)</c> reverts, a token set on another thread is no impersonation of this one,
        /// <c>RpcImpersonateClient(null)</c> needs the dispatching thread). An interface call on a receiver whose
        /// class is known is classified by the implementation.
        /// </summary>
        public ApiCall Classify(IInvocationOperation invocation, ApiOptions options)
        {
            IMethodSymbol target = invocation.TargetMethod;
            ApiCall call = Classify(target, options);
            if (!call.IsRecognized)
            {
                IMethodSymbol implementation = OperationValues.ImplementationOnReceiver(target, invocation.Instance);
                return SymbolEqualityComparer.Default.Equals(implementation, target) ? call : Classify(implementation, options);
            }

            if (call.ThreadArgument >= 0 && ArgumentFor(invocation, call.ThreadArgument) is { } thread && !IsCallingThread(thread, call.ThreadRule))
            {
                // SetThreadToken(ref childThread, token): another thread's token, not the calling thread's identity.
                return ApiCall.None;
            }

            switch (call.ArgumentRule)
            {
                case ArgumentRule.NoTokenReverts:
                    return ArgumentFor(invocation, 1) is { } token && IsNoHandle(token)
                        ? call.With(ApiOperation.Revert, call.Kind)
                        : call;
                case ArgumentRule.ThreadImpersonationTokenClass:
                    // NtSetInformationThread(thread, ThreadImpersonationToken, &token, size): any other class is no
                    // impersonation; a zero token (read through the flow's saved-token facts) reverts.
                    return ArgumentFor(invocation, 1) is { ConstantValue: { HasValue: true, Value: var infoClass } } && Convert.ToInt64(infoClass, System.Globalization.CultureInfo.InvariantCulture) == ApiTable.ThreadImpersonationToken
                        ? call
                        : ApiCall.None;
                case ArgumentRule.ReceiverIsCurrentThread:
                    // NtThread.Current.Impersonate(token): only the calling thread's own NtThread impersonates it.
                    return OperationValues.WithoutConversions(invocation.Instance!) is IPropertyReferenceOperation { Property: { Name: "Current", IsStatic: true } }
                        ? call
                        : ApiCall.None;
                case ArgumentRule.NoBindingNeedsDispatchThread:
                    return ArgumentFor(invocation, 0) is { } binding && IsNoHandle(binding)
                        ? call.With(call.Operation, ImpersonationKind.DispatchThread)
                        : call;
                default:
                    return call;
            }
        }


        /// <summary>
        /// For the syntactic pre-check and the wrapper-name index: the name an invocation calls, or null when by its
        /// arguments it cannot be a recognised call though its name is one's.
        /// </summary>
        public static string? CandidateCallName(InvocationExpressionSyntax invocation)
        {
            string? name = InvokedName(invocation);
            if (name is not null && ApiTable.InformationClassFunctions.Contains(name))
            {
                // NtSetInformationThread sets every kind of thread information: only a call that names the
                // impersonation-token class (by name or as 5) can be one, and only it may make a body matter.
                foreach (ArgumentSyntax argument in invocation.ArgumentList.Arguments)
                {
                    string text = argument.Expression.ToString();
                    if (text.IndexOf("ImpersonationToken", StringComparison.Ordinal) >= 0 || text == "5")
                    {
                        return name;
                    }
                }

                return null;
            }

            return name;
        }

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

        /// <summary>
        /// Could <paramref name="tree"/>'s text call or name one of <paramref name="names"/>? A plain search, except that
        /// an identifier written with a Unicode escape (<c>\u0053ignal</c>) is not found by one: such a text always may.
        /// Cheap on the trees the gate saw no gate word in (most trees of a large project): a name that contains a
        /// gate word (every entry point, <c>Impersonate…</c>) cannot be in them, so only the other names
        /// (<c>Signal</c>, wrappers' names) are searched there, and often none is left to search.
        /// </summary>
        internal bool MayMention(SyntaxTree tree, NameSearch names, CancellationToken cancellationToken)
        {
            if (!_gateWordTrees.Contains(tree))
            {
                return names.WithoutGateWord.Count > 0 && ContainsAny(tree.GetText(cancellationToken).ToString(), names.WithoutGateWord);
            }

            string text = tree.GetText(cancellationToken).ToString();
            return HasUnicodeEscape(text) || ContainsAny(text, names.WithoutGateWord) || ContainsAny(text, names.WithGateWord);
        }

        private static bool HasUnicodeEscape(string text) =>
            text.IndexOf("\\u", StringComparison.Ordinal) >= 0 || text.IndexOf("\\U", StringComparison.Ordinal) >= 0;

        /// <summary>Does <paramref name="text"/> contain one of <paramref name="words"/> (ordinal, anywhere)?</summary>
        internal static bool ContainsAny(string text, IReadOnlyList<string> words)
        {
            for (int i = 0; i < words.Count; i++)
            {
                if (text.IndexOf(words[i], StringComparison.Ordinal) >= 0)
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
