package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
)

// credentialProcess is the document the AWS CLI and SDKs expect from a
// credential_process command. Field names are AWS's, not Go's.
type credentialProcess struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken,omitempty"`
	// Expiration tells the SDK when to run the command again; without it
	// the credentials would be treated as never expiring.
	Expiration string `json:"Expiration,omitempty"`
}

// WriteJSON writes the AWS CLI credential_process document for c:
// {"Version":1,"AccessKeyId":...,"SecretAccessKey":...,"SessionToken":...,"Expiration":"RFC 3339"},
// on one line.
func WriteJSON(w io.Writer, c exchange.Credentials) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return errors.New("the credentials have no access key id or no secret access key")
	}
	doc := credentialProcess{
		Version:         1,
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
	}
	if !c.Expiration.IsZero() {
		doc.Expiration = formatExpiration(c.Expiration)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("failed to encode the credential_process document: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("failed to write the credential_process document: %w", err)
	}
	return nil
}
