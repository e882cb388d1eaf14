/**
 * The shapes of request fields, written once: the domain's reader checks them (with our error
 * codes) and the API's schemas publish the same patterns in the OpenAPI document.
 */

/** *简称*项目名称: the category in asterisks, then the item. */
export const LINE_NAME_FORM = /^\*[^*]+\*[^*]+$/;
/** 税收分类编码: 19 digits, the first 1–6. */
export const TAX_CODE_FORM = /^[1-6][0-9]{18}$/;
/** A taxpayer identification number: 15 to 20 digits and capitals (the USCC is checked further). */
export const TAX_ID_FORM = /^[0-9A-Z]{15,20}$/;
export const PHONE_FORM = /^[0-9+\-() ]+$/;
export const BANK_ACCOUNT_FORM = /^[0-9A-Za-z -]+$/;
export const EMAIL_FORM = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** An invoice id as the gateway mints them: `inv_` and a ULID. */
export const INVOICE_ID_FORM = /^inv_[0-9A-Z]{26}$/;
