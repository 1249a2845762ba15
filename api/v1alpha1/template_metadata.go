package v1alpha1

import "maps"

// DeepCopyInto copies in into out. It is written by hand because
// controller-gen's deep-copy generator does not handle a map whose values
// are an alias (LabelValue).
func (in *TemplateMetadata) DeepCopyInto(out *TemplateMetadata) {
	*out = *in
	out.Labels = maps.Clone(in.Labels)
	out.Annotations = maps.Clone(in.Annotations)
}

// DeepCopy returns a copy of in, or nil when in is nil.
func (in *TemplateMetadata) DeepCopy() *TemplateMetadata {
	if in == nil {
		return nil
	}
	out := new(TemplateMetadata)
	in.DeepCopyInto(out)
	return out
}
