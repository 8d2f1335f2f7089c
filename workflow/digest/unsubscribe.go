package digest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
)

// unsubscribePurpose binds a signature to unsubscribing, so the secret can sign other things safely.
const unsubscribePurpose = "casetrack-unsubscribe:"

// UnsubscribeToken is the signed token of userID's unsubscribe link:
// "ID.SIGNATURE", the signature an HMAC-SHA256 under secret.
func UnsubscribeToken(secret []byte, userID int64) string {
	id := strconv.FormatInt(userID, 10)
	return id + "." + base64.RawURLEncoding.EncodeToString(unsubscribeMAC(secret, id))
}

func unsubscribeMAC(secret []byte, id string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(unsubscribePurpose + id))
	return mac.Sum(nil)
}

// VerifyUnsubscribeToken returns the user a token was signed for; a token
// that secret did not sign is invalid.
func VerifyUnsubscribeToken(secret []byte, token string) (int64, error) {
	id, sig, ok := strings.Cut(token, ".")
	userID, err := strconv.ParseInt(id, 10, 64)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err != nil || err2 != nil || userID <= 0 || len(secret) == 0 || !hmac.Equal(mac, unsubscribeMAC(secret, id)) {
		return 0, &workflow.Error{Code: workflow.ErrInvalid, Message: "validation failed",
			Fields: []workflow.FieldError{{Field: "token", Message: "is not a valid unsubscribe token"}}}
	}
	return userID, nil
}

// UnsubscribeURL is the one-click unsubscribe address of userID's mail.
func (d *Digester) UnsubscribeURL(userID int64) string {
	return d.baseURL + "/unsubscribe?token=" + url.QueryEscape(UnsubscribeToken(d.secret, userID))
}

// Unsubscribe stops the digests and notices to userID (digest_opt_out);
// the caller has verified the user's token.
func (d *Digester) Unsubscribe(ctx context.Context, userID int64) error {
	found, err := setOptOut(ctx, d.db, userID)
	if err != nil {
		return workflow.DBError(err)
	}
	if !found {
		return workflow.Errorf(workflow.ErrNotFound, "user %d not found", userID)
	}
	return nil
}

// LoadSecret returns the key that signs unsubscribe links, shared by every
// instance through the database; the first instance to ask creates it.
func LoadSecret(ctx context.Context, db *sqlx.DB) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	secret, err := selectOrCreateSecret(ctx, db, "unsubscribe", fresh)
	if errors.Is(err, sql.ErrNoRows) {
		// Another instance created it after this statement began: it is there now.
		secret, err = selectOrCreateSecret(ctx, db, "unsubscribe", fresh)
	}
	return secret, workflow.DBError(err)
}
