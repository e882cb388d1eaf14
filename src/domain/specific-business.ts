/**
 * 特定业务 (特定要素, `tdys`): the four kinds of business whose invoices carry their own elements
 * ([LQ-KP] and the 乐企 capability documents for 不动产经营租赁 06, 建筑服务 03, 货物运输服务 04 and
 * 旅客运输服务 09). Reads a request's `specific` block and checks the lines against its kind.
 */
import { fieldError, pointer } from './field-error.js';
import type { RequestReader, JsonObject } from './request-reader.js';

export const SPECIFIC_KINDS = ['property_lease', 'construction', 'freight', 'passenger'] as const;
export type SpecificKind = (typeof SPECIFIC_KINDS)[number];

/** Where a property or a building site is: the platform checks each part's ending ([LQ-KP] 2.2.4.1). */
export interface Place {
  readonly province: string;
  readonly city?: string;
  readonly address: string;
}

export interface PropertyLease extends Place {
  readonly kind: 'property_lease';
  /** 租赁期起止, yyyy-MM-dd */
  readonly leaseFrom: string;
  readonly leaseTo: string;
  /** 跨地（市）标志 */
  readonly crossCity: boolean;
  /** 产权证书/不动产权证号; "无" when there is none. */
  readonly certificateNo: string;
}

export interface Construction extends Place {
  readonly kind: 'construction';
  /** 建筑项目名称 */
  readonly projectName: string;
  readonly crossCity: boolean;
  /** 土地增值税项目编号 */
  readonly landVatProjectNo?: string;
}

export const FREIGHT_VEHICLES = ['railway', 'road', 'waterway', 'air', 'pipeline', 'other'] as const;
export const PASSENGER_VEHICLES = ['train', 'plane', 'bus', 'ship', 'other'] as const;

export interface Shipment {
  /** 运输工具种类 */
  readonly vehicleType: (typeof FREIGHT_VEHICLES)[number];
  /** 运输工具牌号 */
  readonly vehicleNo: string;
  /** 起运地 / 到达地 */
  readonly from: string;
  readonly to: string;
  /** 运输货物名称 */
  readonly goods: string;
}

export interface Freight {
  readonly kind: 'freight';
  readonly shipments: Shipment[];
}

export interface Traveller {
  /** 出行人 */
  readonly name: string;
  /** 有效身份证件号 */
  readonly idNumber?: string;
  /** 出行日期, yyyy-MM-dd */
  readonly date: string;
  readonly from: string;
  readonly to: string;
  /** 等级 (二等座, 经济舱 …) */
  readonly seatClass: string;
  /** 交通工具类型 */
  readonly vehicleType: (typeof PASSENGER_VEHICLES)[number];
}

export interface Passenger {
  readonly kind: 'passenger';
  readonly travellers: Traveller[];
}

export type SpecificBusiness = PropertyLease | Construction | Freight | Passenger;

/** The platform's 特定要素 code of each kind. */
export const SPECIFIC_CODES: Readonly<Record<SpecificKind, string>> = { construction: '03', freight: '04', property_lease: '06', passenger: '09' };
/** As the invoice face titles the block. */
export const SPECIFIC_LABELS: Readonly<Record<SpecificKind, string>> = {
  property_lease: '不动产经营租赁服务',
  construction: '建筑服务',
  freight: '货物运输服务',
  passenger: '旅客运输服务',
};
export const FREIGHT_VEHICLE_LABELS: Readonly<Record<Shipment['vehicleType'], string>> = {
  railway: '铁路运输',
  road: '公路运输',
  waterway: '水路运输',
  air: '航空运输',
  pipeline: '管道运输',
  other: '其他运输工具',
};
export const PASSENGER_VEHICLE_LABELS: Readonly<Record<Traveller['vehicleType'], string>> = {
  train: '火车',
  plane: '飞机',
  bus: '汽车',
  ship: '船舶',
  other: '其他',
};

/** The tax-code family each kind's lines must come from (税收分类编码表). */
const TAX_CODE_FAMILIES: Readonly<Record<SpecificKind, { prefix: string; family: string }>> = {
  property_lease: { prefix: '3040502', family: '不动产经营租赁服务 (3040502…)' },
  construction: { prefix: '305', family: '建筑服务 (305…)' },
  freight: { prefix: '301', family: '交通运输服务 (301…)' },
  passenger: { prefix: '301', family: '交通运输服务 (301…)' },
};
/** 面积单位 a property lease line is counted in ([LQ-KP] 不动产经营租赁 2.2.4.3). */
export const AREA_UNITS = ['平方米', '平方千米', '公顷', '亩', 'h㎡', 'k㎡', '㎡', '米'];

const PROVINCE_ENDINGS = /(省|自治区|特别行政区|北京市|天津市|上海市|重庆市)$/u;
const CITY_ENDINGS = /(市|盟|自治州|地区|区|县)$/u;
const ADDRESS_WORDS = /[街路村乡镇道巷号]/u;
/** Where the platform lets the city be empty. */
const CITY_OPTIONAL = ['香港特别行政区', '澳门特别行政区', '台湾省'];
const MAX_ROWS = 100;

const PLACE_LENGTH = { province: 20, city: 20, address: 80 } as const;
const TEXT = 80;

/** A calendar date written yyyy-MM-dd that exists. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function readDate(reader: RequestReader, object: JsonObject, key: string, path: string): string | undefined {
  const text = reader.string(object, key, path, { required: true, max: 10 });
  if (text !== undefined && !isCalendarDate(text)) {
    reader.report(fieldError(pointer(path, key), 'date_format'));
    return undefined;
  }
  return text;
}

function readFlag(reader: RequestReader, object: JsonObject, key: string, path: string): boolean | undefined {
  return reader.boolean(object, key, path);
}

function readPlace(reader: RequestReader, object: JsonObject, path: string): Place | undefined {
  const province = reader.string(object, 'province', path, { required: true, max: PLACE_LENGTH.province });
  const optionalCity = province !== undefined && CITY_OPTIONAL.includes(province);
  const city = reader.string(object, 'city', path, { required: !optionalCity, max: PLACE_LENGTH.city });
  const address = reader.string(object, 'address', path, { required: true, max: PLACE_LENGTH.address });
  if (province !== undefined && !PROVINCE_ENDINGS.test(province)) reader.report(fieldError(pointer(path, 'province'), 'place_province_form'));
  // Only 重庆市 and 海南省 have counties directly under the province ([LQ-KP] 2.2.4.3).
  const countyAllowed = province === '重庆市' || province === '海南省';
  if (city !== undefined && (!CITY_ENDINGS.test(city) || (city.endsWith('县') && !countyAllowed))) reader.report(fieldError(pointer(path, 'city'), 'place_city_form'));
  if (address !== undefined && !ADDRESS_WORDS.test(address)) reader.report(fieldError(pointer(path, 'address'), 'place_address_form'));
  if (province === undefined || address === undefined) return undefined;
  return { province, ...(city !== undefined && { city }), address };
}

function readRows<T>(reader: RequestReader, object: JsonObject, key: string, path: string, row: (item: JsonObject, at: string) => T | undefined): T[] | undefined {
  const at = pointer(path, key);
  const value = object[key];
  if (!Array.isArray(value)) {
    reader.report(value === undefined || value === null ? fieldError(at, 'field_required') : fieldError(at, 'type_invalid', { expected: 'array', example: '' }));
    return undefined;
  }
  if (value.length === 0 || value.length > MAX_ROWS) {
    reader.report(fieldError(at, 'specific_rows_count', { max: MAX_ROWS }));
    return undefined;
  }
  const rows = value.map((item: unknown, index) => {
    const itemPath = pointer(at, index);
    const object = reader.object(item, itemPath, true);
    return object ? row(object, itemPath) : undefined;
  });
  return rows.every((item) => item !== undefined) ? (rows) : undefined;
}

const FIELDS: Readonly<Record<SpecificKind, readonly string[]>> = {
  property_lease: ['kind', 'province', 'city', 'address', 'leaseFrom', 'leaseTo', 'crossCity', 'certificateNo'],
  construction: ['kind', 'province', 'city', 'address', 'projectName', 'crossCity', 'landVatProjectNo'],
  freight: ['kind', 'shipments'],
  passenger: ['kind', 'travellers'],
};

function readPropertyLease(reader: RequestReader, block: JsonObject, path: string): PropertyLease | undefined {
  const place = readPlace(reader, block, path);
  const leaseFrom = readDate(reader, block, 'leaseFrom', path);
  const leaseTo = readDate(reader, block, 'leaseTo', path);
  if (leaseFrom !== undefined && leaseTo !== undefined && leaseFrom > leaseTo) reader.report(fieldError(pointer(path, 'leaseTo'), 'lease_period_order'));
  const crossCity = readFlag(reader, block, 'crossCity', path);
  const certificateNo = reader.string(block, 'certificateNo', path, { required: true, max: 40 });
  if (!place || leaseFrom === undefined || leaseTo === undefined || crossCity === undefined || certificateNo === undefined) return undefined;
  return { kind: 'property_lease', ...place, leaseFrom, leaseTo, crossCity, certificateNo };
}

function readConstruction(reader: RequestReader, block: JsonObject, path: string): Construction | undefined {
  const place = readPlace(reader, block, path);
  const projectName = reader.string(block, 'projectName', path, { required: true, max: TEXT });
  const crossCity = readFlag(reader, block, 'crossCity', path);
  const landVatProjectNo = reader.string(block, 'landVatProjectNo', path, { required: false, max: 40 });
  if (!place || projectName === undefined || crossCity === undefined) return undefined;
  return { kind: 'construction', ...place, projectName, crossCity, ...(landVatProjectNo !== undefined && { landVatProjectNo }) };
}

function readFreight(reader: RequestReader, block: JsonObject, path: string): Freight | undefined {
  const shipments = readRows(reader, block, 'shipments', path, (row, at): Shipment | undefined => {
    reader.onlyKnownFields(row, at, ['vehicleType', 'vehicleNo', 'from', 'to', 'goods']);
    const vehicleType = reader.choice(row, 'vehicleType', at, FREIGHT_VEHICLES, true);
    const vehicleNo = reader.string(row, 'vehicleNo', at, { required: true, max: 40 });
    const from = reader.string(row, 'from', at, { required: true, max: TEXT });
    const to = reader.string(row, 'to', at, { required: true, max: TEXT });
    const goods = reader.string(row, 'goods', at, { required: true, max: TEXT });
    if (vehicleType === undefined || vehicleNo === undefined || from === undefined || to === undefined || goods === undefined) return undefined;
    return { vehicleType, vehicleNo, from, to, goods };
  });
  return shipments && { kind: 'freight', shipments };
}

function readPassenger(reader: RequestReader, block: JsonObject, path: string): Passenger | undefined {
  const travellers = readRows(reader, block, 'travellers', path, (row, at): Traveller | undefined => {
    reader.onlyKnownFields(row, at, ['name', 'idNumber', 'date', 'from', 'to', 'seatClass', 'vehicleType']);
    const name = reader.string(row, 'name', at, { required: true, max: 40 });
    const idNumber = reader.string(row, 'idNumber', at, { required: false, max: 30 });
    const date = readDate(reader, row, 'date', at);
    const from = reader.string(row, 'from', at, { required: true, max: TEXT });
    const to = reader.string(row, 'to', at, { required: true, max: TEXT });
    const seatClass = reader.string(row, 'seatClass', at, { required: true, max: 20 });
    const vehicleType = reader.choice(row, 'vehicleType', at, PASSENGER_VEHICLES, true);
    if (name === undefined || date === undefined || from === undefined || to === undefined || seatClass === undefined || vehicleType === undefined) return undefined;
    return { name, ...(idNumber !== undefined && { idNumber }), date, from, to, seatClass, vehicleType };
  });
  return travellers && { kind: 'passenger', travellers };
}

/**
 * The request's `specific` block: its kind whenever that is readable (so the lines are checked
 * against it too), and the business when the whole block is right; problems are reported.
 */
export function readSpecificBusiness(reader: RequestReader, value: unknown): { kind?: SpecificKind; business?: SpecificBusiness } {
  const path = '/specific';
  const block = reader.object(value, path, false);
  if (!block) return {};
  const kind = reader.choice(block, 'kind', path, SPECIFIC_KINDS, true);
  if (kind === undefined) return {};
  reader.onlyKnownFields(block, path, FIELDS[kind]);
  const business = readBusiness(reader, kind, block, path);
  return business ? { kind, business } : { kind };
}

function readBusiness(reader: RequestReader, kind: SpecificKind, block: JsonObject, path: string): SpecificBusiness | undefined {
  switch (kind) {
    case 'property_lease':
      return readPropertyLease(reader, block, path);
    case 'construction':
      return readConstruction(reader, block, path);
    case 'freight':
      return readFreight(reader, block, path);
    case 'passenger':
      return readPassenger(reader, block, path);
  }
}

/** What a line of a specific business must be: its tax code's family, and a lease's area unit and quantity. */
export function checkSpecificLine(
  reader: RequestReader,
  kind: SpecificKind,
  line: { readonly taxCode: string | undefined; readonly unit: string | undefined; readonly hasQuantity: boolean; readonly discount: boolean },
  path: string,
): void {
  const family = TAX_CODE_FAMILIES[kind];
  if (line.taxCode !== undefined && !line.taxCode.startsWith(family.prefix)) {
    reader.report(fieldError(pointer(path, 'taxCode'), 'specific_tax_code', { kind: SPECIFIC_LABELS[kind], family: family.family }));
  }
  if (kind !== 'property_lease' || line.discount) return;
  // A lease is invoiced by area: 单位 an area unit, 数量 the area ([LQ-KP] 不动产经营租赁 2.2.4.1).
  if (line.unit === undefined || !AREA_UNITS.includes(line.unit)) reader.report(fieldError(pointer(path, 'unit'), 'lease_unit', { units: AREA_UNITS.join('、') }));
  if (!line.hasQuantity) reader.report(fieldError(pointer(path, 'quantity'), 'lease_area_required'));
}
