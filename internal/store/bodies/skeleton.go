package bodies

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A stored body (a skeleton) is the body with its parts cut out:
//
//	uvarint n                      number of parts
//	n × (uvarint gap, uvarint id)  where each part goes back, as the gap in
//	                               literal bytes since the previous one, and
//	                               the part's id in the store
//	literal                        the body's bytes outside its parts, as a
//	                               Codec blob (compressed when that pays)
//
// The literal is compressed apart from the references so that it can be,
// in parallel, before the store has given the parts their ids. Ids are the
// store's own (row ids): a skeleton means something only in the database
// that holds its parts.

// Literal is body without its spans (from Split): what Pack keeps of it.
func Literal(body []byte, spans []Span) []byte {
	if len(spans) == 0 {
		return body
	}
	size := len(body)
	for _, sp := range spans {
		size -= sp.End - sp.Start
	}
	out := make([]byte, 0, size)
	last := 0
	for _, sp := range spans {
		out = append(out, body[last:sp.Start]...)
		last = sp.End
	}
	return append(out, body[last:]...)
}

// Pack makes the skeleton of a body: its spans' places, ids[i] the stored
// part of spans[i], and literal, its Literal as a Codec blob.
func Pack(spans []Span, ids []int64, literal []byte) []byte {
	out := make([]byte, 0, len(literal)+binary.MaxVarintLen64+len(spans)*6)
	out = binary.AppendUvarint(out, uint64(len(spans)))
	last := 0
	for i, sp := range spans {
		out = binary.AppendUvarint(out, uint64(sp.Start-last))
		out = binary.AppendUvarint(out, uint64(ids[i]))
		last = sp.End
	}
	return append(out, literal...)
}

// Ref is a skeleton's reference to a part.
type Ref struct {
	Gap int   // literal bytes since the previous reference
	ID  int64 // the part's id
}

// ErrCorrupt reports a skeleton that cannot be read.
var ErrCorrupt = errors.New("corrupt body skeleton")

// Unpack reads a skeleton's references and its literal's Codec blob.
func Unpack(skel []byte) (refs []Ref, literal []byte, err error) {
	n, k := binary.Uvarint(skel)
	if k <= 0 || n > uint64(len(skel)) {
		return nil, nil, ErrCorrupt
	}
	skel = skel[k:]
	refs = make([]Ref, n)
	for i := range refs {
		gap, k := binary.Uvarint(skel)
		if k <= 0 || gap > 1<<40 {
			return nil, nil, ErrCorrupt
		}
		skel = skel[k:]
		id, k := binary.Uvarint(skel)
		if k <= 0 || id > 1<<62 {
			return nil, nil, ErrCorrupt
		}
		skel = skel[k:]
		refs[i] = Ref{int(gap), int64(id)}
	}
	return refs, skel, nil
}

// Join puts the parts back into a literal (decompressed): the body, byte
// for byte.
func Join(refs []Ref, literal []byte, part func(id int64) ([]byte, error)) ([]byte, error) {
	out := make([]byte, 0, len(literal))
	at := 0
	for _, r := range refs {
		if r.Gap > len(literal)-at {
			return nil, ErrCorrupt
		}
		out = append(out, literal[at:at+r.Gap]...)
		at += r.Gap
		p, err := part(r.ID)
		if err != nil {
			return nil, fmt.Errorf("body part %d: %w", r.ID, err)
		}
		out = append(out, p...)
	}
	return append(out, literal[at:]...), nil
}
